/**
 * A token bucket: holds up to `capacity` tokens and regains `refillPerSecond` of them
 * each second. Time comes from `now` so tests can drive it.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = capacity;
    this.#last = now();
  }

  /** Takes `cost` tokens if there are that many; returns whether it could. */
  take(cost = 1): boolean {
    this.#refill();
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }

  /** True when the bucket has refilled completely (nothing spent is still owed). */
  get full(): boolean {
    this.#refill();
    return this.#tokens >= this.capacity;
  }

  #refill(): void {
    const t = this.now();
    this.#tokens = Math.min(
      this.capacity,
      this.#tokens + ((t - this.#last) / 1000) * this.refillPerSecond,
    );
    this.#last = t;
  }
}
