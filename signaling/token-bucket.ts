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
    const t = this.now();
    this.#tokens = Math.min(
      this.capacity,
      this.#tokens + ((t - this.#last) / 1000) * this.refillPerSecond,
    );
    this.#last = t;
  }
}
