import { afterEach, describe, expect, it } from 'vitest';
import { bystanders } from '../helpers/bystander.js';
import { type RedisProcess, startRedis } from '../helpers/redis.js';
import { useSignaling } from '../helpers/signaling.js';

describe('hardening: Redis (issue #16)', () => {
  const { start, connect } = useSignaling();
  let redis: RedisProcess | undefined;
  afterEach(async () => {
    redis?.signal('SIGCONT');
    await redis?.stop();
    redis = undefined;
  });

  it('row 11: a frozen Redis makes the node unready and joins answer UNAVAILABLE fast', async () => {
    redis = await startRedis();
    const server = await start({ redisUrl: redis.url, redisPrefix: 'row11:' });
    const others = await bystanders(server, connect);
    expect(server.ready()).toBe(true);
    redis.signal('SIGSTOP'); // the test's own redis-server, frozen
    // Readiness follows within a heartbeat and a command timeout (the campaign: stayed 200).
    await expect.poll(() => server.ready(), { timeout: 5000, interval: 100 }).toBe(false);
    const joiners = await Promise.all(Array.from({ length: 5 }, () => connect(server)));
    const started = performance.now();
    for (const [i, joiner] of joiners.entries())
      joiner.send({ type: 'join', room: `frozen-${i}`, ref: `${i}` });
    for (const joiner of joiners) {
      expect(await joiner.next('error', 5000)).toMatchObject({ code: 'UNAVAILABLE' });
    }
    const took = performance.now() - started;
    expect(took).toBeLessThan(3000); // the campaign saw joins hang up to 8.9 s
    // Bystanders on this node keep signalling each other meanwhile.
    others.a.send({ type: 'ping', ref: 'frozen' });
    await others.a.next('pong', 3000, (p) => p.ref === 'frozen');
    redis.signal('SIGCONT');
    await expect.poll(() => server.ready(), { timeout: 10_000, interval: 100 }).toBe(true);
    const late = await connect(server);
    expect((await late.join('thawed')).peers).toEqual([]);
    await others.check();
  }, 40_000);

  it('a resume that lands while the same peer resumes on a connection that died leaves no ghost', async () => {
    redis = await startRedis();
    const cluster = { redisUrl: redis.url, redisPrefix: 'overlap:', resumeGraceMs: 10_000 };
    const [first, second] = await Promise.all([start(cluster), start(cluster)]);
    const a0 = await connect(first);
    const wa = await a0.join('r');
    const b = await connect(second);
    const wb = await b.join('r');
    a0.kill();
    await expect.poll(() => first.stats().connections).toBe(0);
    const resume = { resume: { peerId: wa.peerId, secret: wa.secret } };
    // The peer resumes on the second node, and that connection dies while its claim waits
    // for Redis (frozen for a moment, well below the 1 s command timeout).
    const a1 = await connect(second);
    redis.signal('SIGSTOP');
    a1.send({ type: 'join', room: 'r', ...resume });
    await expect.poll(() => second.stats().peers, { interval: 5 }).toBe(2);
    a1.kill();
    await expect.poll(() => second.stats().connections, { interval: 5 }).toBe(1);
    // The client's next connection resumes before that claim is answered.
    const a2 = await connect(second);
    a2.send({ type: 'join', room: 'r', ref: 'a2', ...resume });
    await new Promise((resolve) => setTimeout(resolve, 50));
    redis.signal('SIGCONT');
    // Told to try again (the other resume was still under way), or welcomed: either way,
    // once a2 holds a welcome, it and the room agree that it is in.
    await expect.poll(() => a2.frames.length, { timeout: 5000 }).toBeGreaterThan(0);
    const answer = a2.frames[0];
    if (answer?.type === 'error') {
      expect(answer).toMatchObject({ code: 'UNAVAILABLE', ref: 'a2' });
      await a2.next('error');
      await new Promise((resolve) => setTimeout(resolve, 200));
      await a2.join('r', resume);
    } else await a2.next('welcome');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a2.unread('welcome')).toEqual([]); // one welcome per join, not two
    const offer = { type: 'offer', sdp: 'v=0' };
    b.send({ type: 'signal', to: wa.peerId, data: offer, ref: 'b' });
    a2.send({ type: 'signal', to: wb.peerId, data: offer, ref: 'a2' });
    expect(await a2.next('signal')).toMatchObject({ from: wb.peerId });
    expect(await b.next('signal')).toMatchObject({ from: wa.peerId });
    b.send({ type: 'ping' });
    await b.next('pong');
    expect(b.unread('error')).toEqual([]);
    // The room's last word about the peer is that it is there.
    const about = b.frames.filter(
      (f) =>
        (f.type === 'peer-left' && f.peerId === wa.peerId) ||
        (f.type === 'peer-joined' && f.peer.id === wa.peerId),
    );
    expect(about.at(-1)?.type ?? 'peer-joined').toBe('peer-joined');
  }, 30_000);

  it('a join to a new room is welcomed though the only other local joiner went while it waited', async () => {
    redis = await startRedis();
    const server = await start({ redisUrl: redis.url, redisPrefix: 'fresh-room:' });
    const [x, y] = await Promise.all([connect(server), connect(server)]);
    // Both join a room this node has no view of yet, while Redis freezes for a moment: x
    // first (the node starts watching the room for it), then y, which goes away mid-join.
    redis.signal('SIGSTOP');
    x.send({ type: 'join', room: 'fresh' });
    await expect.poll(() => server.stats().peers, { interval: 5 }).toBe(1);
    y.send({ type: 'join', room: 'fresh' });
    await expect.poll(() => server.stats().peers, { interval: 5 }).toBe(2);
    y.kill();
    await expect.poll(() => server.stats().connections, { interval: 5 }).toBe(1);
    redis.signal('SIGCONT');
    const welcome = await x.next('welcome', 5000);
    expect(welcome.room).toBe('fresh');
    // The node still hears the room: a newcomer is announced to x.
    const z = await connect(server);
    const wz = await z.join('fresh');
    expect((await x.next('peer-joined')).peer.id).toBe(wz.peerId);
  }, 30_000);

  it('a resume whose new metadata Redis fails to take still holds the connection to the peer it welcomed', async () => {
    redis = await startRedis();
    const server = await start({ redisUrl: redis.url, redisPrefix: 'resume-update:' });
    const [a, b] = await Promise.all([connect(server), connect(server)]);
    const wa = await a.join('r', { meta: { name: 'A' } });
    const wb = await b.join('r');
    a.kill();
    await expect.poll(() => server.stats().connections).toBe(1);
    // Redis freezes as the peer resumes with new metadata: the resume itself needs nothing
    // of Redis on this node (welcome at once), announcing the metadata does, and times out.
    redis.signal('SIGSTOP');
    const a2 = await connect(server);
    const welcome = await a2.join('r', {
      meta: { name: 'A2' },
      resume: { peerId: wa.peerId, secret: wa.secret },
      ref: 'resume',
    });
    expect(welcome).toMatchObject({ peerId: wa.peerId, resumed: true });
    // Told that its new metadata was not shared, but not that the join failed.
    const error = await a2.next('error', 5000);
    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    expect(error.ref).toBeUndefined();
    redis.signal('SIGCONT');
    await expect.poll(() => server.ready(), { timeout: 10_000, interval: 100 }).toBe(true);
    // The connection is the peer's: it signals, and leaving is announced.
    a2.send({ type: 'signal', to: wb.peerId, data: { type: 'offer', sdp: 'v=0' }, ref: 's' });
    expect(await b.next('signal')).toMatchObject({ from: wa.peerId });
    await a2.close(1000);
    expect(await b.next('peer-left', 5000)).toMatchObject({ peerId: wa.peerId, reason: 'left' });
    await expect.poll(() => server.stats().peers).toBe(1);
  }, 30_000);

  it('a join Redis takes after the node gave up on it (command timeout) leaves no member behind', async () => {
    redis = await startRedis();
    const server = await start({ redisUrl: redis.url, redisPrefix: 'late-add:' });
    const b = await connect(server);
    const wb = await b.join('r');
    // Redis freezes as x joins: the node gives up after its command timeout and refuses
    // the join, but the script is still in Redis's queue and runs when it thaws.
    redis.signal('SIGSTOP');
    const x = await connect(server);
    x.send({ type: 'join', room: 'r', ref: 'x' });
    expect(await x.next('error', 5000)).toMatchObject({ code: 'UNAVAILABLE', ref: 'x' });
    redis.signal('SIGCONT');
    await expect.poll(() => server.ready(), { timeout: 10_000, interval: 100 }).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Nobody holds that member: the room must not keep it.
    const c = await connect(server);
    expect((await c.join('r')).peers.map((p) => p.id)).toEqual([wb.peerId]);
  }, 30_000);

  it('a resume Redis takes after the node gave up on it (command timeout) leaves no member on that node', async () => {
    redis = await startRedis();
    const cluster = { redisUrl: redis.url, redisPrefix: 'late-claim:', resumeGraceMs: 10_000 };
    const [first, second] = await Promise.all([start(cluster), start(cluster)]);
    const a = await connect(first);
    const wa = await a.join('r');
    const b = await connect(second);
    const wb = await b.join('r');
    a.kill();
    await expect.poll(() => first.stats().connections).toBe(0);
    // a's client resumes on the second node as Redis freezes: the node gives up on the
    // claim and refuses the resume; the claim still runs when Redis thaws.
    redis.signal('SIGSTOP');
    const a2 = await connect(second);
    a2.send({
      type: 'join',
      room: 'r',
      ref: 'a2',
      resume: { peerId: wa.peerId, secret: wa.secret },
    });
    expect(await a2.next('error', 5000)).toMatchObject({ code: 'UNAVAILABLE', ref: 'a2' });
    a2.kill();
    redis.signal('SIGCONT');
    await expect.poll(() => second.ready(), { timeout: 10_000, interval: 100 }).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Neither node holds a now, so the room must not keep it on either: it is announced
    // gone rather than kept with no connection and no grace period to end it.
    expect(first.stats().peers).toBe(0);
    expect(await b.next('peer-left', 3000)).toMatchObject({ peerId: wa.peerId });
    const c = await connect(second);
    expect((await c.join('r')).peers.map((p) => p.id)).toEqual([wb.peerId]);
  }, 30_000);
});
