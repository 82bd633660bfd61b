import { describe, expect, it } from 'vitest';
import { PEER_ID_PATTERN, PROTOCOL_VERSION, SECRET_PATTERN } from '../../signaling/protocol.js';
import { useSignaling } from '../helpers/signaling.js';

describe('createSignalingServer', () => {
  const { start, connect } = useSignaling();

  describe('join', () => {
    it('welcomes the first peer with a fresh id, a secret and an empty room', async () => {
      const server = await start();
      const a = await connect(server);
      const welcome = await a.join('lobby', { ref: 'j1' });
      expect(welcome).toMatchObject({
        type: 'welcome',
        v: PROTOCOL_VERSION,
        room: 'lobby',
        resumed: false,
        peers: [],
        iceServers: [],
        ref: 'j1',
      });
      expect(welcome.peerId).toMatch(PEER_ID_PATTERN);
      expect(welcome.secret).toMatch(SECRET_PATTERN);
      expect(server.stats()).toEqual({ connections: 1, rooms: 1, peers: 1 });
    });

    it('gives the joiner the member list and tells the others, with metadata', async () => {
      const server = await start();
      const [a, b, c] = await Promise.all([connect(server), connect(server), connect(server)]);
      const wa = await a.join('r', { meta: { name: 'Ada' } });
      const wb = await b.join('r', { meta: { name: 'Bob', hue: 120 } });
      expect(wb.peers).toEqual([{ id: wa.peerId, meta: { name: 'Ada' } }]);
      expect(await a.next('peer-joined')).toEqual({
        type: 'peer-joined',
        peer: { id: wb.peerId, meta: { name: 'Bob', hue: 120 } },
      });
      const wc = await c.join('r');
      // The protocol lists members in no particular order.
      expect(wc.peers.map((p) => p.id).sort()).toEqual([wa.peerId, wb.peerId].sort());
      expect((await a.next('peer-joined')).peer).toEqual({ id: wc.peerId, meta: {} });
      expect((await b.next('peer-joined')).peer).toEqual({ id: wc.peerId, meta: {} });
      expect(new Set([wa.peerId, wb.peerId, wc.peerId]).size).toBe(3);
    });

    it('hands out the configured ICE servers', async () => {
      const iceServers = [{ urls: 'turn:127.0.0.1:3478', username: 'u', credential: 'c' }];
      const server = await start({ iceServers });
      const welcome = await (await connect(server)).join('r');
      expect(welcome.iceServers).toEqual(iceServers);
    });

    it('refuses ICE servers no browser would take, naming the bad one', async () => {
      await expect(
        start({ iceServers: [{ urls: ['stun:a.example.com', 'stun:'] }] }),
      ).rejects.toThrow(
        'options.iceServers[0].urls[1]: must be a stun:, stuns:, turn: or turns: URL with a host',
      );
      await expect(start({ iceServers: [{ urls: 'turns:t.example.com:5349' }] })).rejects.toThrow(
        'options.iceServers[0]: a turn: or turns: URL needs a username and a credential',
      );
    });

    it('keeps a room of many peers consistent', async () => {
      const server = await start({ joinRateBurst: 30 });
      const clients = await Promise.all(Array.from({ length: 30 }, () => connect(server)));
      const ids: string[] = [];
      for (const client of clients) ids.push((await client.join('big')).peerId);
      const first = clients[0];
      if (!first) throw new Error('no clients');
      for (let i = 1; i < ids.length; i++) await first.next('peer-joined');
      expect(
        first.frames
          .filter((f) => f.type === 'peer-joined')
          .map((f) => f.type === 'peer-joined' && f.peer.id),
      ).toEqual(ids.slice(1));
      expect(server.stats()).toEqual({ connections: 30, rooms: 1, peers: 30 });
    });

    it('refuses a second join on the same connection', async () => {
      const server = await start();
      const a = await connect(server);
      await a.join('one');
      a.send({ type: 'join', room: 'two', ref: 'again' });
      expect(await a.next('error')).toEqual({
        type: 'error',
        code: 'ALREADY_JOINED',
        message: 'already in room "one"; send leave first',
        ref: 'again',
      });
    });

    it('refuses a protocol version it does not speak', async () => {
      const server = await start();
      const a = await connect(server);
      a.send({ type: 'join', room: 'r', v: PROTOCOL_VERSION + 1 });
      const error = await a.next('error');
      expect(error.code).toBe('UNSUPPORTED_VERSION');
      expect(error.message).toBe(
        `protocol version ${PROTOCOL_VERSION + 1} is not supported; this server speaks ${PROTOCOL_VERSION}`,
      );
    });
  });

  describe('leave', () => {
    it('announces a leave with reason "left", confirms it, and allows joining again', async () => {
      const server = await start();
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r');
      await b.join('r');
      a.send({ type: 'leave', ref: 'bye' });
      expect(await a.next('left')).toEqual({ type: 'left', room: 'r', ref: 'bye' });
      expect(await b.next('peer-left')).toEqual({
        type: 'peer-left',
        peerId: wa.peerId,
        reason: 'left',
      });
      const again = await a.join('r');
      expect(again.peerId).not.toBe(wa.peerId);
      expect((await b.next('peer-joined')).peer.id).toBe(again.peerId);
    });

    it('treats a clean close (1000) as leaving at once', async () => {
      const server = await start({ resumeGraceMs: 60_000 });
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r');
      await b.join('r');
      await a.close(1000);
      expect(await b.next('peer-left')).toMatchObject({ peerId: wa.peerId, reason: 'left' });
      await expect.poll(() => server.stats()).toEqual({ connections: 1, rooms: 1, peers: 1 });
    });

    it('removes the room with its last member', async () => {
      const server = await start();
      const a = await connect(server);
      await a.join('r');
      a.send({ type: 'leave' });
      await a.next('left');
      expect(server.stats()).toEqual({ connections: 1, rooms: 0, peers: 0 });
    });
  });

  describe('meta', () => {
    it('updates metadata and tells the others', async () => {
      const server = await start();
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r', { meta: { name: 'A' } });
      await b.join('r');
      a.send({ type: 'meta', meta: { name: 'Alice', muted: true } });
      expect(await b.next('peer-updated')).toEqual({
        type: 'peer-updated',
        peer: { id: wa.peerId, meta: { name: 'Alice', muted: true } },
      });
    });
  });

  describe('ping', () => {
    it('answers an application ping with pong, in or out of a room', async () => {
      const server = await start();
      const a = await connect(server);
      a.send({ type: 'ping', ref: 'p1' });
      expect(await a.next('pong')).toEqual({ type: 'pong', ref: 'p1' });
    });
  });
});
