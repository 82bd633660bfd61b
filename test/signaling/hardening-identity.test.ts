import { describe, expect, it } from 'vitest';
import { createRoomToken } from '../../signaling/tokens.js';
import { bystanders } from '../helpers/bystander.js';
import { useSignaling } from '../helpers/signaling.js';

const secret = 'a-test-secret-that-is-long-enough-0123';
const auth = { secret };
const anyRoom = () => createRoomToken({ secret, room: '*', sub: 'bystander' });
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const videoOffer = {
  type: 'offer',
  sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n',
} as const;

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
    // 16 joins from one connection: more presence changes than the default burst allows.
    const server = await start({ resumeGraceMs: 5000, metaRateLimit: 100 });
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

  describe('row 15: the token presented on resume decides the grant', () => {
    it('applies narrower permissions at once: no media offer, no relay', async () => {
      const server = await start({ auth, resumeGraceMs: 5000 });
      const others = await bystanders(server, connect, { token: await anyRoom() });
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r', {
        token: await createRoomToken({ secret, room: 'r', sub: 'alice' }),
      });
      const wb = await b.join('r', {
        token: await createRoomToken({ secret, room: 'r', sub: 'bob' }),
      });
      expect(wa.relay).toBeDefined();
      a.kill();
      const narrower = await createRoomToken({
        secret,
        room: 'r',
        sub: 'alice',
        perms: { publish: false, relay: false },
      });
      const a2 = await connect(server);
      const welcome = await a2.join('r', {
        token: narrower,
        resume: { peerId: wa.peerId, secret: wa.secret },
      });
      expect(welcome).toMatchObject({ peerId: wa.peerId, resumed: true });
      expect(welcome.relay).toBeUndefined();
      // The room learns the new permissions as an update, not as a leave and join.
      expect(await b.next('peer-updated')).toEqual({
        type: 'peer-updated',
        peer: {
          id: wa.peerId,
          meta: {},
          identity: 'alice',
          perms: { publish: false, relay: false, broadcast: true },
        },
      });
      a2.send({ type: 'signal', to: wb.peerId, data: videoOffer, ref: 'media' });
      expect(await a2.next('error')).toMatchObject({ code: 'FORBIDDEN', ref: 'media' });
      a2.relay(wb.peerId, Buffer.from('data'));
      expect(await a2.next('error')).toMatchObject({ code: 'RELAY_DISABLED' });
      expect(b.unread('signal')).toEqual([]);
      expect(b.binary).toEqual([]);
      expect(b.unread('peer-left')).toEqual([]);
      await others.check();
    });

    it('refuses a token with trailing whitespace as TOKEN_INVALID', async () => {
      const server = await start({ auth });
      const others = await bystanders(server, connect, { token: await anyRoom() });
      const token = await createRoomToken({ secret, room: 'r' });
      const client = await connect(server);
      for (const spelled of [`${token} `, `${token}\n`, ` ${token}`, `${token}\t`]) {
        client.send({ type: 'join', room: 'r', token: spelled });
        expect(await client.next('error')).toEqual({
          type: 'error',
          code: 'TOKEN_INVALID',
          message: 'the token is malformed: not three base64url parts',
        });
      }
      expect((await client.join('r', { token })).peers).toEqual([]);
      await others.check();
    });
  });
});
