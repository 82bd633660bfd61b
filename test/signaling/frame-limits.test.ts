import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FrameLimits, META_BURST_SECONDS } from '../../signaling/frame-limits.js';

const options = { rateLimit: 100, rateBurst: 300, maxViolations: 20, metaRateLimit: 2 };
const burst = options.metaRateLimit * META_BURST_SECONDS;

/** Takes from a budget with `take` until the first refusal (bounded); how many it got. */
function count(take: () => unknown): number {
  let taken = 0;
  while (taken < 10_000 && take()) taken++;
  return taken;
}

/** Presence changes taken in a row until the first refusal. */
const takeAll = (limits: FrameLimits): number => count(() => limits.takePresence());

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

describe('FrameLimits frame budgets', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const text = Buffer.from('{"type":"signal","to":"x","data":{}}');
  const credit = Buffer.from('{"type":"relay-credit","to":"x","bytes":65536}');

  it('allows rateBurst text frames, then rateLimit a second', () => {
    const limits = new FrameLimits(options);
    expect(count(() => limits.takeText(text))).toBe(options.rateBurst);
    vi.advanceTimersByTime(1000);
    expect(count(() => limits.takeText(text))).toBe(options.rateLimit);
  });

  it('charges refused binary frames to the same budget as text', () => {
    const limits = new FrameLimits(options);
    expect(count(() => limits.takeFrame())).toBe(options.rateBurst);
    expect(limits.takeText(text)).toBe(false);
  });

  it('gives relay credit grants a budget of their own, ten times the frame rate', () => {
    const limits = new FrameLimits(options);
    expect(count(() => limits.takeText(text))).toBe(options.rateBurst);
    expect(count(() => limits.takeText(credit))).toBe(options.rateBurst * 10);
    expect(limits.takeText(text)).toBe(false);
  });

  it('tolerates maxViolations within 10 s, then one a second per 10 s of maxViolations', () => {
    const limits = new FrameLimits(options);
    expect(count(() => limits.tolerate())).toBe(options.maxViolations);
    vi.advanceTimersByTime(500); // maxViolations / 10 = 2 a second: one more
    expect(count(() => limits.tolerate())).toBe(1);
  });
});
