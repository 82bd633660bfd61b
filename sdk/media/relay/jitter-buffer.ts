/**
 * The audio jitter buffer of relayed media: when each decoded chunk should play. Chunks
 * arrive in order (one WebSocket) but in bursts; playing each at `target` ms after the
 * first of a run smooths them out. A chunk that arrives after its slot has passed starts
 * a new run (an audible gap, counted); one that would play more than `max` ms ahead is
 * dropped, so a burst after a stall cannot build up lasting latency.
 */

/** Options of a {@link JitterBuffer}. */
export interface JitterBufferOptions {
  /** How far ahead of now a new run starts, in ms. @default 60 */
  targetMs?: number;
  /** Chunks that would start further ahead than this are dropped, in ms. @default 250 */
  maxMs?: number;
}

/** Plays chunks back to back, each at its slot (see the file's comment). All times in ms. */
export class JitterBuffer {
  readonly #target: number;
  readonly #max: number;
  /** When the next chunk should start; undefined before the first. */
  #next: number | undefined;
  /** Runs restarted after an underrun (each is a gap in the sound). */
  gaps = 0;
  /** The longest silence between two runs, in ms. */
  longestGapMs = 0;
  /** Chunks dropped because they would play too late. */
  dropped = 0;

  constructor(options: JitterBufferOptions = {}) {
    this.#target = options.targetMs ?? 60;
    this.#max = options.maxMs ?? 250;
  }

  /** How far ahead of `now` audio is queued. */
  aheadMs(now: number): number {
    return this.#next === undefined ? 0 : Math.max(0, this.#next - now);
  }

  /**
   * A chunk of `durationMs` arrived at `now`: when it should start, or undefined to drop it.
   */
  schedule(now: number, durationMs: number): number | undefined {
    let start = this.#next;
    if (start === undefined || start < now) {
      if (start !== undefined) {
        this.gaps += 1;
        this.longestGapMs = Math.max(this.longestGapMs, now + this.#target - start);
      }
      start = now + this.#target;
    } else if (start - now > this.#max) {
      this.dropped += 1;
      return undefined;
    }
    this.#next = start + durationMs;
    return start;
  }

  /** Forget the run (the stream paused on purpose, e.g. the peer muted). */
  reset(): void {
    this.#next = undefined;
  }
}
