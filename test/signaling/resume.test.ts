import { describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../../signaling/protocol.js';
import { useSignaling } from '../helpers/signaling.js';

const offer = { type: 'offer', sdp: 'v=0' } as const;

describe('createSignalingServer', () => {
  const { start, connect, store } = useSignaling();

  describe('resume', () => {
    it('takes the id back within the grace period without a leave/join flap', async () => {
      const server = await start({ resumeGraceMs: 5_000 });
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r', { meta: { name: 'A' } });
      const wb = await b.join('r');
      a.kill();
      await expect.poll(() => server.stats().connections).toBe(1);
      // While A is away, B's signals to it are held, not lost.
      b.send({ type: 'signal', to: wa.peerId, data: offer });
      const a2 = await connect(server);
      const welcome = await a2.join('r', { resume: { peerId: wa.peerId, secret: wa.secret } });
      expect(welcome).toMatchObject({
        peerId: wa.peerId,
        resumed: true,
        peers: [{ id: wb.peerId, meta: {} }],
      });
      expect(await a2.next('signal')).toEqual({ type: 'signal', from: wb.peerId, data: offer });
      a2.send({ type: 'ping' });
      await a2.next('pong');
      b.send({ type: 'ping' });
      await b.next('pong');
      expect(b.unread('peer-left')).toEqual([]);
      expect(b.unread('peer-joined')).toEqual([]);
    });

    it('announces changed metadata on resume as an update', async () => {
      const server = await start();
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r', { meta: { name: 'A' } });
      await b.join('r');
      a.kill();
      const a2 = await connect(server);
      await a2.join('r', {
        meta: { name: 'A2' },
        resume: { peerId: wa.peerId, secret: wa.secret },
      });
      expect(await b.next('peer-updated')).toEqual({
        type: 'peer-updated',
        peer: { id: wa.peerId, meta: { name: 'A2' } },
      });
    });

    it('announces the peer left when the grace period ends, then lets it reclaim its id', async () => {
      const server = await start({ resumeGraceMs: 100 });
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r');
      await b.join('r');
      a.kill();
      expect(await b.next('peer-left')).toEqual({
        type: 'peer-left',
        peerId: wa.peerId,
        reason: 'disconnected',
      });
      const a2 = await connect(server);
      const welcome = await a2.join('r', { resume: { peerId: wa.peerId, secret: wa.secret } });
      expect(welcome).toMatchObject({ peerId: wa.peerId, resumed: false });
      expect((await b.next('peer-joined')).peer.id).toBe(wa.peerId);
    });

    it('lets a peer reclaim its id on a restarted server (silently, when rooms live in Redis)', async () => {
      const first = await start();
      const a = await connect(first);
      const wa = await a.join('r');
      await first.close();
      const second = await start({ port: first.port });
      const a2 = await connect(second);
      const welcome = await a2.join('r', { resume: { peerId: wa.peerId, secret: wa.secret } });
      // In memory the room died with the server; in Redis it outlived it.
      expect(welcome).toMatchObject({
        peerId: wa.peerId,
        resumed: store === 'redis',
        secret: wa.secret,
      });
    });

    it('retires the old connection when a live peer resumes elsewhere', async () => {
      const server = await start();
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r');
      await b.join('r');
      const a2 = await connect(server);
      await a2.join('r', { resume: { peerId: wa.peerId, secret: wa.secret } });
      expect(await a.closed).toEqual({
        code: CLOSE_CODES.SESSION_REPLACED,
        reason: 'another connection resumed this peer',
      });
      a2.send({ type: 'ping' });
      await a2.next('pong');
      expect(b.unread('peer-left')).toEqual([]);
      expect(server.stats()).toMatchObject({ peers: 2 });
    });

    it('rejects a resume with the wrong secret, leaving the real peer alone', async () => {
      const server = await start();
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r');
      const thief = await connect(server);
      const forged = `${wa.secret.slice(0, -1)}${wa.secret.endsWith('A') ? 'B' : 'A'}`;
      thief.send({
        type: 'join',
        room: 'r',
        resume: { peerId: wa.peerId, secret: forged },
        ref: 'steal',
      });
      expect(await thief.next('error')).toEqual({
        type: 'error',
        code: 'RESUME_REJECTED',
        message: 'the resume secret does not match that peer id',
        ref: 'steal',
      });
      const wb = await b.join('r');
      b.send({ type: 'signal', to: wa.peerId, data: offer });
      expect((await a.next('signal')).from).toBe(wb.peerId);
    });

    it('moves a resuming peer to another room when it names one', async () => {
      const server = await start();
      const [a, b, c] = await Promise.all([connect(server), connect(server), connect(server)]);
      const wa = await a.join('one');
      await b.join('one');
      await c.join('two');
      a.kill();
      const a2 = await connect(server);
      const welcome = await a2.join('two', { resume: { peerId: wa.peerId, secret: wa.secret } });
      expect(welcome).toMatchObject({ room: 'two', peerId: wa.peerId, resumed: false });
      expect(await b.next('peer-left')).toMatchObject({ peerId: wa.peerId, reason: 'left' });
      expect((await c.next('peer-joined')).peer.id).toBe(wa.peerId);
    });
  });

  describe('heartbeat', () => {
    it('closes a client that stops answering pings and announces it timed out', async () => {
      const server = await start({
        heartbeatIntervalMs: 50,
        heartbeatTimeoutMs: 50,
        resumeGraceMs: 50,
      });
      const silent = await connect(server, { autoPong: false });
      const b = await connect(server);
      const ws = await silent.join('r');
      await b.join('r');
      const closed = await silent.closed;
      expect(closed.code).toBe(1006); // terminated without a closing handshake
      expect(await b.next('peer-left')).toEqual({
        type: 'peer-left',
        peerId: ws.peerId,
        reason: 'timeout',
      });
      // The well-behaved client answered every ping and is still here.
      b.send({ type: 'ping' });
      await b.next('pong');
    });

    it('keeps a client that answers no ping but keeps sending: any bytes prove it alive', async () => {
      const server = await start({ heartbeatIntervalMs: 50, heartbeatTimeoutMs: 50 });
      const busy = await connect(server, { autoPong: false });
      await busy.join('r');
      // Ten heartbeat rounds, each with a frame from the client well within its timeout.
      for (let i = 0; i < 25; i += 1) {
        busy.send({ type: 'ping' });
        await busy.next('pong');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(server.stats().connections).toBe(1);
    });
  });
});
