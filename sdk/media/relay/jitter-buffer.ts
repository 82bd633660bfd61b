/**
 * The audio jitter buffer of relayed media: when, and how fast, each decoded chunk plays.
 * Chunks arrive in order (one WebSocket) but unevenly — in bursts, and late whenever the
 * sender's thread or a video frame ahead of them on the same TCP stream holds them up.
 * Each chunk plays right after the one before, so the audio queued ahead of the clock is
 * what absorbs the next hiccup.
 *
 * How much is queued follows a target that adapts, as a WebRTC receiver's does. A chunk
 * that arrives after its slot has passed is an audible gap (counted): the run restarts
 * {@link RESTART_LEAD_MS} ahead — a longer silence would only make the gap longer — and the
 * target rises by how late the chunk was (up to `maxTargetMs`), so the same hiccup is
 * absorbed next time. The queue grows to the target by playing slower ({@link SLOW_RATE})
 * and shrinks to it by playing faster ({@link FAST_RATE}) — the caller says how (the
 * player stretches the sound, keeping its pitch: `time-stretch.ts`): no silence is added
 * to build it, and no sound cut to shed it. After {@link CALM_MS}
 * without a gap the target comes down a step. It never goes below the longest queue the
 * route's frames were seen in lately ({@link JitterBuffer.keepAtLeast}): video shows a
 * queue on the link before the audio behind it is late. A chunk that would play more than
 * `slackMs` beyond the target is dropped: a burst after a stall cannot build up lasting
 * latency.
 */

/** Options of a {@link JitterBuffer}. */
export interface JitterBufferOptions {
  /** The queue to keep at first, in ms; the target never goes lower. @default 100 */
  targetMs?: number;
  /** The target never grows past this, in ms. @default 400 */
  maxTargetMs?: number;
  /** Chunks that would start more than this beyond the target are dropped, in ms. @default 190 */
  slackMs?: number;
}

/** When and how fast one chunk plays. */
export interface Slot {
  /** When it starts, on the caller's clock (ms). */
  at: number;
  /** Its playback rate: 1, or a little off it while the queue moves to its target. */
  rate: number;
}

/** A run restarts this far ahead after a gap, in ms. */
export const RESTART_LEAD_MS = 30;
/**
 * Playback rate while the queue is short of its target (15 % slower: +176 ms a second).
 * Pitch-keeping stretch makes this much inaudible on speech; a playback-rate change would
 * shift the pitch by over two semitones.
 */
export const SLOW_RATE = 0.85;
/** Playback rate while the queue is over its target (−130 ms a second). */
export const FAST_RATE = 1.15;
/** The queue counts as on target within this, in ms. */
export const ON_TARGET_MS = 20;
/** Without a gap for this long, the target comes down a step. */
export const CALM_MS = 5000;
/** The step, in ms. */
export const STEP_DOWN_MS = 20;

/** Plays chunks back to back, each at its slot (see the file's comment). All times in ms. */
export class JitterBuffer {
  readonly #minTarget: number;
  readonly #maxTarget: number;
  readonly #slack: number;
  #target: number;
  /** The least target, from the queue seen on the route ({@link keepAtLeast}). */
  #floor = 0;
  /** When the next chunk should start; undefined before the first. */
  #next: number | undefined;
  /** When the target last changed or a gap happened. */
  #calmSince = 0;
  /** Runs restarted after an underrun (each is a gap in the sound). */
  gaps = 0;
  /** The longest silence between two runs, in ms. */
  longestGapMs = 0;
  /** Chunks dropped: a burst beyond the slack. */
  dropped = 0;

  constructor(options: JitterBufferOptions = {}) {
    this.#minTarget = options.targetMs ?? 100;
    this.#maxTarget = Math.max(this.#minTarget, options.maxTargetMs ?? 400);
    this.#slack = options.slackMs ?? 190;
    this.#target = this.#minTarget;
  }

  /** The queue the buffer aims for now, in ms. */
  get targetMs(): number {
    return Math.max(this.#target, this.#floor);
  }

  /**
   * Frames on this route were seen queued up to `ms` lately (video shows a queue before
   * audio suffers from it): keep at least that much audio queued, up to `maxTargetMs`.
   */
  keepAtLeast(ms: number): void {
    this.#floor = Math.min(this.#maxTarget, Math.max(0, ms));
  }

  /** How far ahead of `now` audio is queued. */
  aheadMs(now: number): number {
    return this.#next === undefined ? 0 : Math.max(0, this.#next - now);
  }

  /**
   * A chunk of `durationMs` arrived at `now`: when and how fast it should play, or
   * undefined to drop it. `play` is how long the chunk will last at the slot's rate, in ms
   * (the player may round to whole periods); by default `durationMs / rate`.
   */
  schedule(
    now: number,
    durationMs: number,
    play: (rate: number) => number = (rate) => durationMs / rate,
  ): Slot | undefined {
    const slot = this.#slot(now);
    if (slot) this.#next = slot.at + play(slot.rate);
    return slot;
  }

  #slot(now: number): Slot | undefined {
    const slot = this.#next;
    if (slot === undefined) {
      this.#calmSince = now;
      return { at: now + this.targetMs, rate: 1 };
    }
    if (slot < now) {
      // Late by `now - slot`: keep that much more queued from now on.
      this.#target = Math.min(this.#maxTarget, this.#target + (now - slot));
      this.#calmSince = now;
      this.gaps += 1;
      this.longestGapMs = Math.max(this.longestGapMs, now + RESTART_LEAD_MS - slot);
      return { at: now + RESTART_LEAD_MS, rate: SLOW_RATE };
    }
    const ahead = slot - now;
    const target = this.targetMs;
    if (ahead > target + this.#slack) {
      this.dropped += 1;
      return undefined;
    }
    if (now - this.#calmSince >= CALM_MS && this.#target > this.#minTarget) {
      this.#target = Math.max(this.#minTarget, this.#target - STEP_DOWN_MS);
      this.#calmSince = now;
    }
    const rate =
      ahead < target - ON_TARGET_MS ? SLOW_RATE : ahead > target + ON_TARGET_MS ? FAST_RATE : 1;
    return { at: slot, rate };
  }

  /** Forget the run (the stream paused on purpose, e.g. the peer muted). */
  reset(): void {
    this.#next = undefined;
  }
}
