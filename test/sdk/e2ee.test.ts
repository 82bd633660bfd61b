import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PeerlaneError, Room } from '../../sdk/index.js';
import { useHostileProxy } from '../helpers/hostile-proxy.js';
import {
  meshDirect,
  nextEvent,
  recordMessages,
  useRooms,
  waitUntil,
} from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';
import { useTurn } from '../helpers/turn.js';

const MiB = 1024 * 1024;
const secret = 'correct horse battery staple 42';
const e2ee = { secret };
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** An SDP's fingerprint lines rewritten in lower case: the same certificate, other text. */
const lowerFingerprints = (frame: string) =>
  frame.replace(
    /a=fingerprint:(\S+) ([0-9A-F:]+)/g,
    (_, alg, hex) => `a=fingerprint:${alg} ${hex.toLowerCase()}`,
  );

/**
 * One of `a` and `b` — whichever got the rewritten SDP — refuses the other with
 * `E2EE_MISMATCH` naming it, and marks it `failed`.
 */
async function expectRefusedHandshake(
  a: Room,
  b: Room,
  why = 'not signed with this room',
): Promise<void> {
  const [refuser, [error]] = await Promise.race(
    [a, b].map((room) =>
      nextEvent(room, 'error', (e) => e.code === 'E2EE_MISMATCH', 10_000).then(
        (args) => [room, args] as const,
      ),
    ),
  );
  const other = refuser === a ? b : a;
  expect(error.peerId).toBe(other.selfId);
  expect(error.message).toContain(why);
  expect(refuser.peer(other.selfId)?.state).toBe('failed');
}

describe('end-to-end encryption with a room secret (Node peers)', () => {
  const { start } = useSignaling();
  const { join } = useRooms();
  const hostile = useHostileProxy();
  const turn = useTurn();

  it('connects directly with the same secret; both sides compute the same safety number', async () => {
    const server = await start();
    const a = await join(server.url, { e2ee });
    const b = await join(server.url, { e2ee });
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected directly');
    const atB = recordMessages(b);
    a.peer(b.selfId)?.send('hello, privately');
    await waitUntil(() => atB.length === 1, 'b got it');
    const [fromA, fromB] = await Promise.all([
      a.peer(b.selfId)?.safetyNumber(),
      b.peer(a.selfId)?.safetyNumber(),
    ]);
    expect(fromA).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect(fromB).toBe(fromA);
  });

  it('refuses a handshake whose fingerprints the server rewrote (and without e2ee the rewrite goes unnoticed)', async () => {
    const server = await start({ relay: false });
    const proxy = await hostile(server.url);
    proxy.tampering.toClient = (frame) =>
      frame.includes('"signal"') ? lowerFingerprints(frame) : frame;
    // Without e2ee: the peers take the rewritten SDP and connect — a server could do worse.
    const plainA = await join(proxy.url, { room: 'plain' });
    const plainB = await join(proxy.url, { room: 'plain' });
    await waitUntil(() => meshDirect([plainA, plainB]), 'connected despite the rewrite', 10_000);
    // With e2ee: refused by whichever side got the rewritten SDP, with the code, naming the peer.
    const a = await join(proxy.url, { e2ee });
    const b = await join(proxy.url, { e2ee });
    await expectRefusedHandshake(a, b);
  });

  it('refuses a handshake whose signature is not base64url with E2EE_MISMATCH (it throws nowhere)', async () => {
    const server = await start({ relay: false });
    const proxy = await hostile(server.url);
    // "A" and "B" match the schema's charset but are no base64 at all (atob throws on them).
    proxy.tampering.toClient = (frame) =>
      frame.includes('"signal"') ? frame.replace(/"auth":"[^"]*"/, '"auth":"A.B"') : frame;
    const a = await join(proxy.url, { e2ee });
    const b = await join(proxy.url, { e2ee });
    await expectRefusedHandshake(a, b, 'malformed e2ee signature');
  });

  it('holds on a TURN-only path: signed handshake, same safety number, a file; a rewritten fingerprint is refused there too', async () => {
    const coturn = await turn.start();
    // No WebSocket relay: the peers connect through coturn or not at all.
    const server = await start({ iceServers: coturn.iceServers, relay: false });
    const proxy = await hostile(server.url);
    const turnOnly = { e2ee, iceTransportPolicy: 'relay' as const };
    const a = await join(proxy.url, { ...turnOnly, room: 'through-turn' });
    const b = await join(proxy.url, { ...turnOnly, room: 'through-turn' });
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected through coturn', 15_000);
    expect(a.peer(b.selfId)?.transport).toBe('turn');
    expect(b.peer(a.selfId)?.transport).toBe('turn');
    const [fromA, fromB] = await Promise.all([
      a.peer(b.selfId)?.safetyNumber(),
      b.peer(a.selfId)?.safetyNumber(),
    ]);
    expect(fromA).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect(fromB).toBe(fromA);
    const file = randomBytes(MiB + 3);
    const received = new Promise<Blob>((resolve, reject) => {
      b.on('incoming-file', (incoming) => incoming.accept().done.then(resolve, reject));
    });
    await a.peer(b.selfId)?.sendFile(new Blob([file]), { name: 'via-turn.bin' }).done;
    expect(sha256(new Uint8Array(await (await received).arrayBuffer()))).toBe(sha256(file));
    // The same rewrite as on a direct path: TURN carries DTLS end to end, so the signed
    // fingerprints protect it alike.
    proxy.tampering.toClient = (frame) =>
      frame.includes('"signal"') ? lowerFingerprints(frame) : frame;
    const c = await join(proxy.url, { ...turnOnly, room: 'rewritten' });
    const d = await join(proxy.url, { ...turnOnly, room: 'rewritten' });
    await expectRefusedHandshake(c, d);
  }, 30_000);

  it('seals everything relayed: no plaintext at the server; a flipped byte is dropped and the stream goes on', async () => {
    const server = await start();
    const proxy = await hostile(server.url);
    const a = await join(proxy.url, { e2ee, transport: 'relay' });
    const b = await join(proxy.url, { e2ee, transport: 'relay' });
    const errors: PeerlaneError[] = [];
    b.on('error', (error) => errors.push(error));
    await waitUntil(() => b.peer(a.selfId)?.state === 'connected', 'on the relay');
    const atB = recordMessages(b);
    const secretText = 'the launch code is 0000, do not tell the server';
    a.peer(b.selfId)?.send(secretText);
    await waitUntil(() => atB.length === 1, 'the message arrived');
    // From now on the server flips one byte of the 3rd and the 40th data frame it relays
    // (not counting the small ones: credit grants).
    let relayed = 0;
    proxy.tampering.binaryToClient = (frame) => {
      if (frame.length < 1024) return frame;
      relayed += 1;
      if (relayed !== 3 && relayed !== 40) return frame;
      const out = Buffer.from(frame);
      out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 0xff;
      return out;
    };
    const file = randomBytes(3 * MiB);
    const received = new Promise<Blob>((resolve, reject) => {
      b.on('incoming-file', (incoming) => incoming.accept().done.then(resolve, reject));
    });
    for (let i = 0; i < 20; i += 1) a.peer(b.selfId)?.send(`numbered ${i}`);
    await a.peer(b.selfId)?.sendFile(new Blob([file]), { name: 'secret.bin' }).done;
    const blob = await received;
    expect(sha256(new Uint8Array(await blob.arrayBuffer()))).toBe(sha256(file));
    await waitUntil(() => atB.length === 21, 'every message arrived', 10_000);
    expect(atB.map((m) => m.data)).toEqual([
      secretText,
      ...Array.from({ length: 20 }, (_, i) => `numbered ${i}`),
    ]);
    expect(relayed).toBeGreaterThan(40);
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['INVALID_DATA']));
    expect(errors[0]?.message).toContain('did not open');
    // Nothing the server relayed holds the message or any 32 bytes of the file.
    const seen = Buffer.concat(proxy.binary);
    expect(seen.includes(Buffer.from(secretText))).toBe(false);
    for (const at of [0, MiB, 2 * MiB + 7]) {
      expect(seen.includes(file.subarray(at, at + 32))).toBe(false);
    }
  }, 30_000);

  it('refuses relayed frames the server replays to a link made anew while the peer kept its own', async () => {
    const server = await start();
    const proxy = await hostile(server.url);
    const a = await join(proxy.url, { e2ee, transport: 'relay' });
    // What the server sends a (client 0) once b is there: b's arrival, and b's relay frames.
    let joined: string | undefined;
    const fromB: Buffer[] = [];
    proxy.tampering.toClient = (frame, client) => {
      if (client === 0 && frame.includes('"peer-joined"')) joined = frame;
      return frame;
    };
    proxy.tampering.binaryToClient = (frame, client) => {
      if (client === 0) fromB.push(Buffer.from(frame));
      return frame;
    };
    const b = await join(proxy.url, { e2ee, transport: 'relay' });
    await waitUntil(
      () => a.peer(b.selfId)?.state === 'connected' && b.peer(a.selfId)?.state === 'connected',
      'on the relay',
    );
    const atA = recordMessages(a);
    b.peer(a.selfId)?.send('once only');
    await waitUntil(() => atA.length === 1, 'a got it');
    await new Promise((resolve) => setTimeout(resolve, 100)); // acknowledged
    const errors: PeerlaneError[] = [];
    a.on('error', (error) => errors.push(error));
    // The server tells a that b left and joined again (a gives b up and makes a new link,
    // while b keeps its own), then sends a every relay frame of b's again.
    const toA = proxy.clients[0];
    if (!toA || !joined) throw new Error('a is client 0 and heard b join');
    toA.send(JSON.stringify({ type: 'peer-left', peerId: b.selfId, reason: 'left' }));
    toA.send(joined);
    for (const frame of fromB) toA.send(frame, { binary: true });
    await waitUntil(() => errors.length > 0, 'a refused the replay', 5_000).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(atA.map((m) => m.data)).toEqual(['once only']);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.code === 'INVALID_DATA' && e.peerId === b.selfId)).toBe(true);
    expect(errors[0]?.message).toContain('replay');
    // b's own frames still open at a's new link.
    b.peer(a.selfId)?.send('and then this');
    await waitUntil(() => atA.length === 2, 'a got the next one', 10_000);
    expect(atA.map((m) => m.data)).toEqual(['once only', 'and then this']);
  });

  it('never connects peers with another secret, or none: E2EE_MISMATCH, not a hang', async () => {
    const server = await start();
    const a = await join(server.url, { e2ee });
    const refused = nextEvent(a, 'error', (error) => error.code === 'E2EE_MISMATCH', 10_000);
    const b = await join(server.url, { e2ee: { secret: 'another secret, 16+ chars' } });
    const [error] = await refused;
    expect(error.peerId).toBe(b.selfId);
    expect(a.peer(b.selfId)?.state).toBe('failed');
    const none = nextEvent(
      a,
      'error',
      (e) => e.code === 'E2EE_MISMATCH' && e.peerId !== b.selfId,
      10_000,
    );
    const c = await join(server.url);
    const [noSecret] = await none;
    expect(noSecret.peerId).toBe(c.selfId);
  });

  it.each([
    ['with the relay', true],
    ['without a relay (a direct handshake only)', false],
  ])(
    'tells every side at once, %s: each of two secrets and none refuses the others',
    async (_, relay) => {
      const server = await start({ relay });
      // Long enough that only a refusal, never a timeout, fails a peer within the test.
      const patient = { peerConnectTimeoutMs: 60_000 };
      const secrets = [e2ee, { secret: 'another secret, 16+ chars' }, undefined];
      const rooms: Room[] = [];
      const errors = new Map<Room, string[]>();
      for (const secret of secrets) {
        const room = await join(server.url, secret ? { ...patient, e2ee: secret } : patient);
        const seen: string[] = [];
        room.on('error', (error) => seen.push(`${error.code} ${error.peerId}`));
        errors.set(room, seen);
        rooms.push(room);
      }
      const refusedAll = () => [...errors.values()].every((seen) => seen.length >= 2);
      await waitUntil(refusedAll, 'every side refused both others', 5000);
      await new Promise((resolve) => setTimeout(resolve, 300)); // and nothing more comes
      for (const room of rooms) {
        const others = rooms.filter((other) => other !== room).map((other) => other.selfId);
        expect(errors.get(room)?.sort()).toEqual(others.map((id) => `E2EE_MISMATCH ${id}`).sort());
        for (const id of others) expect(room.peer(id)?.state).toBe('failed');
      }
    },
  );

  it('refuses a short secret with INVALID_ARGUMENT', async () => {
    const server = await start();
    await expect(join(server.url, { e2ee: { secret: 'short' } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
