/**
 * A sliding replay window over sequence numbers, for sealed relayed media (lossy: frames
 * may be missing, so a receiver cannot ask for "exactly the next one"). A number is taken
 * once: above the highest seen (the gap is accepted), or within the last
 * {@link REPLAY_WINDOW} numbers and not seen before. Anything older is refused, since the
 * window no longer remembers whether it was seen. The same bitmap scheme as IPsec's and
 * DTLS's anti-replay window (RFC 4303 §3.4.3, RFC 6347 §4.1.2.6).
 */

/** How many sequence numbers below the highest the window remembers. */
export const REPLAY_WINDOW = 1024;

/** Why a sequence number was refused. */
export type ReplayRefusal = 'replay' | 'too-old';

/** The window of one sender's key (see the file's comment). */
export class ReplayWindow {
  /** The highest number taken; -1 before the first. */
  #highest = -1;
  /** Bit `seq % REPLAY_WINDOW` is set when `seq` (within the window) was taken. */
  readonly #seen = new Uint8Array(REPLAY_WINDOW);

  /** The highest number taken so far (-1: none). */
  get highest(): number {
    return this.#highest;
  }

  /** Whether `seq` would be taken now, and if not, why; changes nothing. */
  check(seq: number): ReplayRefusal | undefined {
    if (seq > this.#highest) return undefined;
    if (seq <= this.#highest - REPLAY_WINDOW) return 'too-old';
    return this.#seen[seq % REPLAY_WINDOW] === 1 ? 'replay' : undefined;
  }

  /** Takes `seq` (call only after {@link check} allowed it). */
  take(seq: number): void {
    if (seq > this.#highest) {
      // Forget the numbers that slide out of the window (at most its size of them).
      const from = Math.max(this.#highest + 1, seq - REPLAY_WINDOW + 1);
      for (let n = from; n <= seq; n += 1) this.#seen[n % REPLAY_WINDOW] = 0;
      this.#highest = seq;
    }
    this.#seen[seq % REPLAY_WINDOW] = 1;
  }
}
