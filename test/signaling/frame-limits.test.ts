import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FrameLimits, META_BURST_SECONDS } from '../../signaling/frame-limits.js';

const options = { rateLimit: 100, rateBurst: 300, maxViolations: 20, metaRateLimit: 2 };
const burst = options.metaRateLimit * META_BURST_SECONDS;

/** Presence changes taken in a row until the first refusal (bounded). */
function takeAll(limits: FrameLimits): number {
  let taken = 0;
  while (taken < 1000 && limits.takePresence()) taken++;
  return taken;
}

describe('FrameLimits presence budget', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('allows a burst of metaRateLimit × 5 changes, the first included', () => {
    expect(takeAll(new FrameLimits(options))).toBe(burst);
  });

  it('counts the first change when the bucket is made at the second', () => {
    const limits = new FrameLimits(options);
    expect(limits.takePresence()).toBe(true);
    vi.advanceTimersByTime(100); // 0.2 of a change refilled since
    expect(takeAll(limits)).toBe(burst - 1);
    vi.advanceTimersByTime(500); // 1.0 + 0.2 carried over: one more change
    expect(takeAll(limits)).toBe(1);
  });

  it('has a full budget again once the first change has refilled', () => {
    const limits = new FrameLimits(options);
    expect(limits.takePresence()).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(takeAll(limits)).toBe(burst);
  });

  it('refuses at once when the burst is below one change', () => {
    expect(new FrameLimits({ ...options, metaRateLimit: 0.1 }).takePresence()).toBe(false);
  });
});
