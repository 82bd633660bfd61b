import type { ResolvedOptions } from './options.js';
import { bucketClock, TokenBucket } from './token-bucket.js';

type LimitOptions = Pick<
  ResolvedOptions,
  'rateLimit' | 'rateBurst' | 'maxViolations' | 'metaRateLimit'
>;

/** A burst of presence changes may be this many seconds' worth of `metaRateLimit`. */
export const META_BURST_SECONDS = 5;

const RELAY_CREDIT_PREFIX = Buffer.from('{"type":"relay-credit"');

/**
 * One connection's frame budgets: `rateLimit` frames per second (bursts of `rateBurst`),
 * `metaRateLimit` presence changes per second, and `maxViolations` invalid or rate-limited frames within 10 s before it is closed.
 *
 * It is itself the bucket of the frame budget, which every connection uses, rather than
 * holding one: at tens of thousands of idle sockets every object per connection counts
 * (and every field: its helper is `private`, not `#`, as in `TokenBucket`).
 */
export class FrameLimits extends TokenBucket {
  // Made on first use: most connections never misbehave or relay.
  #creditRate: TokenBucket | undefined;
  #violations: TokenBucket | undefined;
  /**
   * The presence budget; until a second presence change, only the time of the first (on
   * the buckets' clock): nearly every connection makes one (its join) and no other.
   */
  #presence: TokenBucket | number | undefined;

  constructor(private readonly options: LimitOptions) {
    super(options.rateBurst, options.rateLimit);
  }

  /**
   * Spends one frame from the budget a text frame belongs to: answers which (`'credit'`
   * for one that begins like a relay credit grant, else `'frame'`), or false when it is
   * empty.
   */
  takeText(data: Buffer): TextBudget | false {
    const bucket = this.bucketFor(data);
    if (!bucket.take()) return false;
    return bucket === this ? 'frame' : 'credit';
  }

  /**
   * After parsing: a frame that {@link takeText} charged to the credit grants' budget but
   * that is of another `type` (JSON takes the last of repeated keys:
   * `{"type":"relay-credit","type":"signal",…}`) spends one frame of the frame budget too;
   * false when that is empty. Without it such frames had ten times the frame rate.
   */
  takeParsed(charged: TextBudget, type: string): boolean {
    return charged === 'frame' || type === 'relay-credit' || this.take();
  }

  /** Spends one frame from the connection's frame budget (a refused binary frame); false when empty. */
  takeFrame(): boolean {
    return this.take();
  }

  /**
   * Spends one presence change (join, leave, meta): each is a frame to every other member
   * of the room, so they get a budget of their own, far below the frame rate.
   */
  takePresence(): boolean {
    const rate = this.options.metaRateLimit;
    const capacity = rate * META_BURST_SECONDS;
    if (this.#presence === undefined && capacity >= 1) {
      // A full bucket: this change fits, and the bucket can wait for the next one.
      this.#presence = bucketClock();
      return true;
    }
    if (typeof this.#presence !== 'object') {
      const bucket = new TokenBucket(capacity, rate);
      // Made full now, it owes the first change, less what would have refilled since: the
      // same tokens as a bucket made at the first change.
      const first = this.#presence;
      if (first !== undefined)
        bucket.take(Math.max(0, 1 - ((bucketClock() - first) / 1000) * rate));
      this.#presence = bucket;
    }
    return this.#presence.take();
  }

  /** Counts a violation; false once the connection has had too many and must be closed. */
  tolerate(): boolean {
    const { maxViolations } = this.options;
    this.#violations ??= new TokenBucket(maxViolations, maxViolations / 10);
    return this.#violations.take();
  }

  /**
   * Credit grants come with relay traffic, one per quarter window consumed, far more often
   * than anything else a client sends: they get a budget of their own (ten times the frame
   * rate). A frame that only pretends to be one gets that budget and fails validation,
   * or parses as another type and is charged to the frame budget too ({@link takeParsed}).
   */
  private bucketFor(data: Buffer): TokenBucket {
    if (!startsAsCredit(data)) return this;
    this.#creditRate ??= new TokenBucket(this.options.rateBurst * 10, this.options.rateLimit * 10);
    return this.#creditRate;
  }
}

/** Which budget {@link FrameLimits.takeText} charged a text frame to. */
export type TextBudget = 'frame' | 'credit';

/** True when a text frame begins like a relay credit grant. */
function startsAsCredit(data: Buffer): boolean {
  // Compared in place: a subarray would be one more object per frame.
  const length = RELAY_CREDIT_PREFIX.length;
  return data.length >= length && data.compare(RELAY_CREDIT_PREFIX, 0, length, 0, length) === 0;
}
