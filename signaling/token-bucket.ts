/**
 * Where a bucket's clock counts from. Times since then are whole numbers of ms small
 * enough to be stored in the object itself for ~24 days, where a time since 1970 is a
 * double V8 boxes: one more object per bucket, and connections hold buckets.
 */
const CLOCK_ORIGIN = Date.now();

/**
 * `Date.now()` on the buckets' clock: ms since {@link CLOCK_ORIGIN}. `Math.trunc` changes
 * no value (times are whole ms); it makes V8 store the result unboxed, where the plain
 * difference of two boxed doubles is boxed again. Tests drive it with fake timers.
 */
export function bucketClock(): number {
  return Math.trunc(Date.now() - CLOCK_ORIGIN);
}

/**
 * A token bucket: holds up to `capacity` tokens and regains `refillPerSecond` of them
 * each second, on {@link bucketClock}.
 *
 * Its helper is a TypeScript `private` method, not a `#` one, as in the other classes a
 * connection is made of: a class with `#` methods gives each instance one more field (its
 * brand), and connections hold buckets by the tens of thousands.
 */
export class TokenBucket {
  #tokens: number;
  /** When the bucket last refilled, on {@link bucketClock}. */
  #last: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
  ) {
    this.#tokens = capacity;
    this.#last = bucketClock();
  }

  /** Takes `cost` tokens if there are that many; returns whether it could. */
  take(cost = 1): boolean {
    this.refill();
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }

  /**
   * Takes `cost` tokens even if that overdraws the bucket; answers how many ms until the
   * debt is repaid (0 when there was enough). For costs better delayed than refused.
   */
  consume(cost: number): number {
    this.refill();
    this.#tokens -= cost;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.refillPerSecond) * 1000);
  }

  /** True when the bucket has refilled completely (nothing spent is still owed). */
  get full(): boolean {
    this.refill();
    return this.#tokens >= this.capacity;
  }

  private refill(): void {
    const t = bucketClock();
    this.#tokens = Math.min(
      this.capacity,
      this.#tokens + ((t - this.#last) / 1000) * this.refillPerSecond,
    );
    this.#last = t;
  }
}
