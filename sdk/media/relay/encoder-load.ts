/**
 * How large relayed video is encoded, following how long the encoder takes and whether
 * its frames fit the rate (a pure function of what it is told, unit tested on a fake
 * clock). WebRTC does the same
 * ("CPU overuse"): when encoding falls behind, the picture gets smaller, not later. Without
 * it a busy machine queues frames in the encoder: on two shared cores at load ~20,
 * Chromium's software VP8 took 0.5–4 s per 640×480 frame (it encodes ≥ 640 px wide with two
 * threads) and 2–5 ms per 480×360 one, so relayed video ran ~1 s behind at 5 frames/s.
 */

/** The sizes tried, as a share of the captured size, largest first. */
export const SCALE_STEPS: readonly number[] = [1, 0.75, 0.5, 0.25];
/** Frames whose encode times are looked at (their median: one stall of the page is not load). */
export const LOAD_SAMPLES = 5;
/** Median encode time (from `encode()` to its output) above which the size steps down, ms. */
export const OVERUSE_MS = 100;
/** Encode time under which the size may step up again, ms. */
export const UNDERUSE_MS = 25;
/** At most one step down per this many ms (the new size needs fresh samples). */
export const DOWN_GAP_MS = 1000;
/** Calm (every median under {@link UNDERUSE_MS}) before the first step up, ms. */
export const UP_CALM_MS = 10_000;
/** The longest the calm before a step up grows to (it doubles after each failed try). */
export const MAX_UP_CALM_MS = 120_000;
/**
 * Encode times in this long after an encoder starts at a size do not count: its first
 * frames (set-up, the key frame, the frames that waited for them) take hundreds of ms on
 * an idle machine too, and counted they stepped every call down at once.
 */
export const WARM_UP_MS = 1000;

/** Options of an {@link EncoderLoad}. */
export interface EncoderLoadOptions {
  /** The clock, in ms. @default performance.now */
  now?: () => number;
}

/** The share of the captured size to encode at (see the file's comment). */
export class EncoderLoad {
  readonly #now: () => number;
  #step = 0;
  #samples: number[] = [];
  #lastChange = Number.NEGATIVE_INFINITY;
  /** Since when every median was under {@link UNDERUSE_MS}. */
  #calmSince: number;
  #upCalm = UP_CALM_MS;
  /** When the last step up was made (a step down soon after: that size is too much). */
  #lastUp = Number.NEGATIVE_INFINITY;
  /** Encode times before this do not count ({@link WARM_UP_MS}). */
  #warmUntil = Number.NEGATIVE_INFINITY;

  constructor(options: EncoderLoadOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#calmSince = this.#now();
  }

  /** The share of the captured width and height to encode at, in (0, 1]. */
  get scale(): number {
    return SCALE_STEPS[this.#step] ?? 1;
  }

  /** An encoder starts at a (new) size: its first second's times are not load. */
  started(): void {
    this.#warmUntil = this.#now() + WARM_UP_MS;
    this.#samples = [];
  }

  /** A frame took `ms` from `encode()` to its output. */
  encoded(ms: number): void {
    const now = this.#now();
    if (now < this.#warmUntil) return;
    this.#samples.push(ms);
    if (this.#samples.length > LOAD_SAMPLES) this.#samples.shift();
    if (this.#samples.length < LOAD_SAMPLES) return;
    const median = [...this.#samples].sort((x, y) => x - y)[LOAD_SAMPLES >> 1] ?? 0;
    if (median > OVERUSE_MS) {
      this.#stepDown(now);
    } else if (median >= UNDERUSE_MS) {
      this.#calmSince = now;
    } else if (
      this.#step > 0 &&
      now - this.#calmSince >= this.#upCalm &&
      now - this.#lastChange >= this.#upCalm
    ) {
      this.#lastUp = now;
      this.#change(this.#step - 1, now);
    }
  }

  /**
   * Frames at this size carry more bits than the rate allows (the sender's frame budget
   * skipped too many, `pacing.ts`): step down as for a slow encoder.
   */
  oversized(): void {
    this.#stepDown(this.#now());
  }

  #stepDown(now: number): void {
    this.#calmSince = now;
    if (now - this.#lastChange < DOWN_GAP_MS || this.#step >= SCALE_STEPS.length - 1) return;
    // The size just tried cannot be kept up with: wait longer before trying it again.
    if (now - this.#lastUp < UP_CALM_MS) {
      this.#upCalm = Math.min(MAX_UP_CALM_MS, this.#upCalm * 2);
    }
    this.#change(this.#step + 1, now);
  }

  #change(step: number, now: number): void {
    this.#step = step;
    this.#lastChange = now;
    this.#calmSince = now;
    this.#samples = [];
  }
}
