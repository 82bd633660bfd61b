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
});
