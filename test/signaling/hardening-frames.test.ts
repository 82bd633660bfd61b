import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLOSE_CODES } from '../../signaling/protocol.js';
import { bystanders } from '../helpers/bystander.js';
import type { RawClient } from '../helpers/raw-client.js';
import { useSignaling } from '../helpers/signaling.js';

const ABSENT = 'AAAAAAAAAAAAAAAAAAAAAA';
const LIMITS = { rateLimit: 10, rateBurst: 50, maxViolations: 5 };

describe('hardening: frames (issue #16)', () => {
  const { start, connect } = useSignaling();
  // Token buckets read Date.now: frozen, every count below is exact.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('row 6: binary frames count against the frame limits and violations', () => {
    it('answers relay frames to an absent peer within the frame budget, then closes with 1008', async () => {
      const server = await start(LIMITS);
      const others = await bystanders(server, connect);
      const attacker = await connect(server);
      await attacker.join('r');
      for (let i = 0; i < 2000; i++) attacker.relay(ABSENT, Buffer.from([i & 0xff]));
      expect((await attacker.closed).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
      const codes = attacker.frames.filter((f) => f.type === 'error').map((f) => f.code);
      // The burst of refusals (less the join's frame), then one RATE_LIMITED per tolerated
      // violation and the last. The campaign saw 76,287 replies a second, never kicked.
      expect(codes.filter((c) => c === 'PEER_NOT_FOUND')).toHaveLength(LIMITS.rateBurst - 1);
      expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(LIMITS.maxViolations + 1);
      expect(codes).toHaveLength(LIMITS.rateBurst - 1 + LIMITS.maxViolations + 1);
      await others.check();
    });

    it('counts a malformed binary frame (bad kind byte) as a violation', async () => {
      const server = await start(LIMITS);
      const others = await bystanders(server, connect);
      const attacker = await connect(server);
      await attacker.join('r');
      for (let i = 0; i < 2000; i++) attacker.send(Buffer.from([0x7f, 1, 2, 3]));
      expect((await attacker.closed).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
      const errors = attacker.frames.filter((f) => f.type === 'error');
      expect(errors).toHaveLength(LIMITS.maxViolations + 1);
      expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['INVALID_FRAME']));
      await others.check();
    });

    it('counts binary frames before a join like text frames', async () => {
      const server = await start(LIMITS);
      const others = await bystanders(server, connect);
      const attacker = await connect(server);
      for (let i = 0; i < 2000; i++) attacker.relay(ABSENT, Buffer.from([1]));
      expect((await attacker.closed).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
      const codes = attacker.frames.filter((f) => f.type === 'error').map((f) => f.code);
      expect(codes.filter((c) => c === 'NOT_JOINED')).toHaveLength(LIMITS.rateBurst);
      expect(codes).toHaveLength(LIMITS.rateBurst + LIMITS.maxViolations + 1);
      await others.check();
    });
  });

  describe('row 7: nesting depth of transceiverRequest.init', () => {
    /** A signal whose init nests `depth` objects, written as text (JSON.stringify would overflow). */
    const deepSignal = (to: string, depth: number): string =>
      `{"type":"signal","to":"${to}","data":{"type":"transceiverRequest","transceiverRequest":{"kind":"video","init":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}}`;

    it('refuses a 10,000-deep init as INVALID_FRAME and a violation, and forwards a real one', async () => {
      const server = await start(LIMITS);
      const others = await bystanders(server, connect);
      const [attacker, victim] = await Promise.all([connect(server), connect(server)]);
      await attacker.join('r');
      const wv = await victim.join('r');
      const init = { direction: 'recvonly', sendEncodings: [{ rid: 'h', maxBitrate: 900_000 }] };
      const real = { type: 'transceiverRequest', transceiverRequest: { kind: 'video', init } };
      attacker.send({ type: 'signal', to: wv.peerId, data: real });
      expect((await victim.next('signal')).data).toEqual(real);
      for (let i = 0; i < 50; i++) attacker.send(deepSignal(wv.peerId, 10_000));
      expect((await attacker.closed).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
      const errors = attacker.frames.filter((f) => f.type === 'error');
      expect(errors).toHaveLength(LIMITS.maxViolations + 1);
      for (const error of errors) {
        expect(error).toEqual({
          type: 'error',
          code: 'INVALID_FRAME',
          message: 'signal: data.transceiverRequest.init: init may nest at most 4 levels',
        });
      }
      expect(victim.unread('signal')).toEqual([]);
      await others.check();
    });
  });

  describe('row 14: a burst right after an asynchronous frame', () => {
    /** Sends frames in one TCP write, as a client flushing its queue does. */
    const inOneWrite = (client: RawClient, frames: unknown[]): void => {
      const socket = (client.ws as unknown as { _socket: { cork(): void; uncork(): void } })
        ._socket;
      socket.cork();
      for (const frame of frames) client.send(frame);
      socket.uncork();
    };
    const pings = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => ({ type: 'ping', ref: `${tag}${i}` }));

    it('is never punished while within rateBurst: meta or leave, then hundreds of pings', async () => {
      const server = await start(); // the documented defaults: 100/s, bursts of 300
      const others = await bystanders(server, connect);
      const [client, watcher] = await Promise.all([connect(server), connect(server)]);
      await client.join('r');
      await watcher.join('r');
      inOneWrite(client, [{ type: 'meta', meta: { name: 'x' } }, ...pings(250, 'm')]);
      await expect.poll(() => client.unread('pong').length).toBe(250);
      expect(client.unread('pong').map((p) => p.ref)).toEqual(pings(250, 'm').map((p) => p.ref));
      expect((await watcher.next('peer-updated')).peer.meta).toEqual({ name: 'x' });
      vi.setSystemTime(Date.now() + 10_000); // the bucket refills
      inOneWrite(client, [{ type: 'leave' }, ...pings(290, 'l')]);
      await client.next('left');
      await expect.poll(() => client.unread('pong').length).toBe(540);
      expect(client.unread('error')).toEqual([]);
      expect(client.ws.readyState).toBe(client.ws.OPEN);
      await watcher.next('peer-left');
      await others.check();
    });
  });

  it('a kick for refused frames does not overtake the frames accepted before them', async () => {
    // The join finishes asynchronously, so the frames behind it wait their turn; a
    // refusal among them (here the one that kicks) takes effect in order, after the join.
    const server = await start({ ...LIMITS, maxViolations: 1 });
    const client = await connect(server);
    client.send({ type: 'join', room: 'r', ref: 'join' });
    client.send({ type: 'no-such-frame', ref: 'bad 1' });
    client.send({ type: 'no-such-frame', ref: 'bad 2' });
    expect((await client.closed).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
    expect(client.frames.map((f) => f.type)).toEqual(['welcome', 'error', 'error']);
  });
});
