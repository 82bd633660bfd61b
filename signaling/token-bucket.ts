/**
 * Where a bucket's clock counts from. Times since then are whole numbers of ms small
 * enough to be stored in the object itself for ~24 days, where a time since 1970 is a
 * double V8 boxes: one more object per bucket, and connections hold buckets.
 */
const CLOCK_ORIGIN = Date.now();

/**
 * `time` (ms, from `Date.now` or a test's clock) on the buckets' clock. `Math.trunc`
 * changes no value (times are whole ms); it makes V8 store the result unboxed, where the
 * plain difference of two boxed doubles is boxed again.
 */
function sinceOrigin(time: number): number {
  return Math.trunc(time - CLOCK_ORIGIN);
}

/** `Date.now()` on the buckets' clock: ms since {@link CLOCK_ORIGIN}. */
export function bucketClock(): number {
  return sinceOrigin(Date.now());
}

/**
 * A token bucket: holds up to `capacity` tokens and regains `refillPerSecond` of them
 * each second. Time comes from `now` (ms, `Date.now` by default) so tests can drive it.
 */
export class TokenBucket {
  #tokens: number;
  /** When the bucket last refilled, in ms since {@link CLOCK_ORIGIN}. */
  #last: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = capacity;
    this.#last = sinceOrigin(now());
  }

  /** Takes `cost` tokens if there are that many; returns whether it could. */
  take(cost = 1): boolean {
    this.#refill();
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }

  /**
   * Takes `cost` tokens even if that overdraws the bucket; answers how many ms until the
   * debt is repaid (0 when there was enough). For costs better delayed than refused.
   */
  consume(cost: number): number {
    this.#refill();
    this.#tokens -= cost;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.refillPerSecond) * 1000);
  }

  /** True when the bucket has refilled completely (nothing spent is still owed). */
  get full(): boolean {
    this.#refill();
    return this.#tokens >= this.capacity;
  }

  #refill(): void {
    const t = sinceOrigin(this.now());
    this.#tokens = Math.min(
      this.capacity,
      this.#tokens + ((t - this.#last) / 1000) * this.refillPerSecond,
    );
    this.#last = t;
  }
}
