import { describe, expect, it } from 'vitest';
import { bystanders } from '../helpers/bystander.js';
import { useSignaling } from '../helpers/signaling.js';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The same 128-bit id spelled with other values in the 4 unused bits of its last character. */
function otherSpellings(id: string): string[] {
  const last = BASE64URL.indexOf(id.at(-1) ?? '');
  return Array.from({ length: 16 }, (_, low) => (last & 0b110000) | low)
    .filter((index) => index !== last)
    .map((index) => id.slice(0, -1) + BASE64URL[index]);
}

describe('hardening: identities (issue #16)', () => {
  const { start, connect } = useSignaling();

  it('row 10: refuses every non-canonical spelling of a peer id, even with its secret', async () => {
    const server = await start({ resumeGraceMs: 5000 });
    const others = await bystanders(server, connect);
    const [a, b] = await Promise.all([connect(server), connect(server)]);
    const wa = await a.join('r');
    await b.join('r');
    a.kill();
    const spellings = otherSpellings(wa.peerId);
    expect(spellings).toHaveLength(15);
    // Same bytes once decoded: the campaign got a welcome for one of these.
    for (const id of spellings) {
      expect(Buffer.from(id, 'base64url')).toEqual(Buffer.from(wa.peerId, 'base64url'));
    }
    const thief = await connect(server);
    for (const [i, peerId] of spellings.entries()) {
      thief.send({ type: 'join', room: 'r', resume: { peerId, secret: wa.secret }, ref: `${i}` });
      expect(await thief.next('error')).toEqual({
        type: 'error',
        code: 'RESUME_REJECTED',
        message: 'the resume secret does not match that peer id',
        ref: `${i}`,
      });
    }
    // The canonical spelling still resumes, silently.
    const welcome = await thief.join('r', { resume: { peerId: wa.peerId, secret: wa.secret } });
    expect(welcome).toMatchObject({ peerId: wa.peerId, resumed: true });
    expect(b.unread('peer-joined')).toEqual([]);
    await others.check();
  });
});
