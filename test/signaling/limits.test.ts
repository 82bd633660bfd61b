import { describe, expect, it, vi } from 'vitest';
import { CLOSE_CODES } from '../../signaling/protocol.js';
import { useSignaling } from '../helpers/signaling.js';

describe('createSignalingServer', () => {
  const { start, connect } = useSignaling();

  describe('limits', () => {
    it('refuses a peer beyond maxPeersPerRoom, and admits one when a place frees up', async () => {
      const server = await start({ maxPeersPerRoom: 2 });
      const [a, b, c] = await Promise.all([connect(server), connect(server), connect(server)]);
      await a.join('r');
      await b.join('r');
      c.send({ type: 'join', room: 'r' });
      expect(await c.next('error')).toMatchObject({
        code: 'ROOM_FULL',
        message: 'room "r" is full (2 peers)',
      });
      b.send({ type: 'leave' });
      await b.next('left');
      expect((await c.join('r')).peers).toHaveLength(1);
    });

    it('refuses a new room beyond maxRooms but still admits joins to existing ones', async () => {
      const server = await start({ maxRooms: 1 });
      const [a, b, c] = await Promise.all([connect(server), connect(server), connect(server)]);
      await a.join('one');
      b.send({ type: 'join', room: 'two' });
      expect(await b.next('error')).toMatchObject({
        code: 'TOO_MANY_ROOMS',
        message: 'the server holds its maximum of 1 rooms',
      });
      await c.join('one');
    });

    it('cuts a frame far over maxPayload with 1009 and reports the peer kicked', async () => {
      const server = await start({ maxPayload: 1024 });
      const [big, b] = await Promise.all([connect(server), connect(server)]);
      const wbig = await big.join('r');
      await b.join('r');
      big.send({ type: 'ping', pad: 'x'.repeat(5000) });
      expect((await big.closed).code).toBe(CLOSE_CODES.MESSAGE_TOO_BIG);
      expect(await b.next('peer-left')).toMatchObject({ peerId: wbig.peerId, reason: 'kicked' });
    });

    it('drops frames over the rate limit with RATE_LIMITED, then recovers', async () => {
      // The buckets read Date.now: frozen, the burst is exact; moved on, they refill.
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        const server = await start({ rateLimit: 20, rateBurst: 5, maxViolations: 100 });
        const client = await connect(server);
        for (let i = 0; i < 8; i++) client.send({ type: 'ping', ref: `${i}` });
        const limited = await client.next('error');
        expect(limited).toEqual({
          type: 'error',
          code: 'RATE_LIMITED',
          message: 'more than 20 frames per second; frame dropped',
        });
        await expect
          .poll(() => client.unread('pong').length + client.unread('error').length)
          .toBe(7);
        // Exactly the burst went through; every other frame was reported dropped, none vanished.
        expect(client.unread('pong').map((p) => p.ref)).toEqual(['0', '1', '2', '3', '4']);
        expect(client.unread('error')).toHaveLength(2);
        vi.setSystemTime(Date.now() + 300); // 300 ms at 20/s refills the bucket
        client.send({ type: 'ping', ref: 'later' });
        expect(await client.next('pong', 3000, (p) => p.ref === 'later')).toEqual({
          type: 'pong',
          ref: 'later',
        });
      } finally {
        vi.useRealTimers();
      }
    });

    it('closes a persistent abuser with 1008 while other clients carry on', async () => {
      const server = await start({ maxViolations: 5 });
      const [abuser, a, b] = await Promise.all([connect(server), connect(server), connect(server)]);
      const wabuser = await abuser.join('r');
      await a.join('r');
      const wb = await b.join('r');
      for (let i = 0; i < 10; i++) abuser.send('not json');
      expect(await abuser.closed).toEqual({
        code: CLOSE_CODES.POLICY_VIOLATION,
        reason: 'too many invalid or rate-limited frames',
      });
      expect(abuser.unread('error').length).toBeGreaterThanOrEqual(5);
      expect(await a.next('peer-left')).toMatchObject({ peerId: wabuser.peerId, reason: 'kicked' });
      a.send({ type: 'signal', to: wb.peerId, data: { type: 'offer', sdp: 'v=0' } });
      expect((await b.next('signal')).data).toEqual({ type: 'offer', sdp: 'v=0' });
    });

    it('closes an abuser at once even while its reads are paused behind a join', async () => {
      // The join finishes asynchronously, so the server stops reading meanwhile; the
      // closing handshake must still be read (a paused socket left it to ws's 30 s timer).
      const server = await start({ maxViolations: 5 });
      const abuser = await connect(server);
      abuser.send({ type: 'join', room: 'r' });
      for (let i = 0; i < 10; i++) abuser.send('not json');
      const closed = await Promise.race([
        abuser.closed,
        new Promise((resolve) => setTimeout(resolve, 5000, 'still open after 5 s')),
      ]);
      expect(closed).toEqual({
        code: CLOSE_CODES.POLICY_VIOLATION,
        reason: 'too many invalid or rate-limited frames',
      });
    });

    it('drops a client that stops reading once maxBufferedBytes are queued for it', async () => {
      const server = await start({
        maxBufferedBytes: 256 * 1024,
        rateLimit: 100_000,
        rateBurst: 100_000,
      });
      const [sender, stuck] = await Promise.all([connect(server), connect(server)]);
      await sender.join('r');
      const wstuck = await stuck.join('r');
      // Stop reading at the TCP level; the kernel buffers fill, then the server's queue grows.
      const socket = (stuck.ws as unknown as { _socket: { pause(): void } })._socket;
      socket.pause();
      const sdp = 'a'.repeat(40_000);
      for (let i = 0; i < 800 && server.stats().connections === 2; i++) {
        sender.send({ type: 'signal', to: wstuck.peerId, data: { type: 'offer', sdp } });
        if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await expect.poll(() => server.stats().connections, { timeout: 5000 }).toBe(1);
      // The sender is unaffected and the stuck peer may still resume within the grace period.
      sender.send({ type: 'ping' });
      await sender.next('pong');
      expect(server.stats().peers).toBe(2);
    });

    it('validates its options', async () => {
      await expect(start({ maxPayload: 0 })).rejects.toThrow(
        'options.maxPayload must be a positive integer (got 0)',
      );
      await expect(start({ path: 'ws' })).rejects.toThrow(
        'options.path must start with "/" (got ws)',
      );
      await expect(start({ resumeGraceMs: -1 })).rejects.toThrow(
        'options.resumeGraceMs must be a non-negative integer',
      );
      await expect(start({ port: 70_000 })).rejects.toThrow(
        'options.port must be a port number, 0 to 65535 (got 70000)',
      );
      // Relay terms SDKs could not use (a window of 3 bytes crashed them: no piece fits).
      await expect(start({ relayWindow: 3 })).rejects.toThrow(
        'options.relayWindow must be at least 4096 bytes',
      );
      await expect(start({ maxPayload: 1022 })).rejects.toThrow(
        'options.maxPayload must be at least 1023 bytes',
      );
      await (await start({ relayWindow: 4096, maxPayload: 1023 })).close();
    });

    it('refuses a time no Node timer can wait (over 2^31 − 1 ms) instead of waiting 1 ms', async () => {
      // Node runs such a timer after 1 ms: a grace period of 2^31 ms dropped a peer at once.
      await expect(start({ resumeGraceMs: 2 ** 31 })).rejects.toThrow(
        'options.resumeGraceMs must be at most 2147483647 ms, about 24.8 days (got 2147483648)',
      );
      for (const key of [
        'heartbeatIntervalMs',
        'heartbeatTimeoutMs',
        'shutdownTimeoutMs',
        'handshakeTimeoutMs',
        'nodeTtlMs',
      ] as const) {
        await expect(start({ [key]: 2 ** 31 })).rejects.toThrow(
          `options.${key} must be at most 2147483647 ms`,
        );
      }
      const server = await start({ resumeGraceMs: 2 ** 31 - 1 });
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      await a.join('r');
      await b.join('r');
      a.kill();
      await expect.poll(() => server.stats().connections).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      b.send({ type: 'ping' });
      await b.next('pong');
      expect(b.unread('peer-left')).toEqual([]);
    });
  });
});
