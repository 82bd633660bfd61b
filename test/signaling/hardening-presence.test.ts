import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLOSE_CODES } from '../../signaling/protocol.js';
import { bystanders } from '../helpers/bystander.js';
import type { RawClient } from '../helpers/raw-client.js';
import { useSignaling } from '../helpers/signaling.js';

describe('hardening: presence (issue #16)', () => {
  const { start, connect } = useSignaling();
  afterEach(() => {
    vi.useRealTimers();
  });

  it('row 5: meta updates have their own, lower rate, which bounds the amplification', async () => {
    // Token buckets read Date.now: frozen, the counts are exact.
    vi.useFakeTimers({ toFake: ['Date'] });
    const metaRateLimit = 2;
    const burst = metaRateLimit * 5;
    const maxViolations = 20;
    const server = await start({ metaRateLimit, maxViolations });
    const others = await bystanders(server, connect);
    const attacker = await connect(server);
    await attacker.join('r'); // one presence change of the burst
    const watchers: RawClient[] = [];
    for (let i = 0; i < 9; i++) {
      const watcher = await connect(server);
      await watcher.join('r');
      watchers.push(watcher);
    }
    for (let i = 0; i < 100; i++) attacker.send({ type: 'meta', meta: { n: i }, ref: `${i}` });
    expect((await attacker.closed).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
    const errors = attacker.unread('error');
    expect(errors).toHaveLength(maxViolations + 1);
    expect(errors[0]).toEqual({
      type: 'error',
      code: 'RATE_LIMITED',
      message: 'more than 2 presence changes (join, leave, meta) per second; frame dropped',
      ref: `${burst - 1}`,
    });
    for (const watcher of watchers) {
      await watcher.next('peer-left');
      // The campaign saw ×49 frames out per frame in at the full frame rate.
      expect(watcher.unread('peer-updated').map((u) => u.peer.meta.n)).toEqual(
        Array.from({ length: burst - 1 }, (_, i) => i),
      );
    }
    await others.check();
    // Time moves on: the budget comes back.
    vi.setSystemTime(Date.now() + 5000);
    const [calm, watcher] = await Promise.all([connect(server), connect(server)]);
    await calm.join('r2');
    await watcher.join('r2');
    calm.send({ type: 'meta', meta: { ok: true } });
    expect((await watcher.next('peer-updated')).peer.meta).toEqual({ ok: true });
  });
});
