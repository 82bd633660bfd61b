/**
 * How large relayed video is encoded, following how long the encoder takes and whether
 * its frames fit the rate (a pure function of what it is told, unit tested on a fake
 * clock). WebRTC does the same
 * ("CPU overuse"): when encoding falls behind, the picture gets smaller, not later. Without
 * it a busy machine queues frames in the encoder: on two shared cores at load ~20,
 * Chromium's software VP8 took 0.5–4 s per 640×480 frame (it encodes ≥ 640 px wide with two
 * threads) and 2–5 ms per 480×360 one, so relayed video ran ~1 s behind at 5 frames/s.
 * With the old threshold (100 ms) a loaded call kept 640 px while WebRTC beside it sent
 * 320, and relayed latency paid for it.
 */

/** The sizes tried, as a share of the captured size, largest first. */
export const SCALE_STEPS: readonly number[] = [1, 0.75, 0.5, 0.25];
/**
 * The step a new source starts at: half the captured size. Started at the full size, a
 * loaded machine queued a relayed call's first seconds (1–2 s from capture to the other
 * page for 4–6 s: two pages setting up encoders, key frames and decoders at once) before
 * the size came down; WebRTC beside it settled at half the size too. It steps up once the
 * encoder shows room ({@link UP_HEADROOM}).
 */
export const START_STEP = 2;
/** Frames whose encode times are looked at (their median: one stall of the page is not load). */
export const LOAD_SAMPLES = 5;
/**
 * Median encode time (from `encode()` to its output) above which the size steps down, ms:
 * 85 % of a frame's time at 30 frames/s, WebRTC's "overuse" (its encode usage over 85 %).
 */
export const OVERUSE_MS = 30;
/**
 * The size steps up only while the encode time, times the larger size's pixels over this
 * size's (encode time grows with pixels), stays under this share of {@link OVERUSE_MS}: the
 * larger size is expected to leave room to spare. A step up that fails costs two
 * reconfigured encoders and two key frames, each a spike of latency.
 */
export const UP_HEADROOM = 0.6;
/** At most one step down per this many ms (the new size needs fresh samples). */
export const DOWN_GAP_MS = 1000;
/** Calm (every median with {@link UP_HEADROOM}) before the first step up, ms. */
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
  /** The index in {@link SCALE_STEPS} to start at. @default START_STEP */
  startStep?: number;
}

/** The share of the captured size to encode at (see the file's comment). */
export class EncoderLoad {
  readonly #now: () => number;
  #step: number;
  #samples: number[] = [];
  #lastChange = Number.NEGATIVE_INFINITY;
  /** Since when every median left room for the next larger size ({@link UP_HEADROOM}). */
  #calmSince: number;
  #upCalm = UP_CALM_MS;
  /** When the last step up was made (a step down soon after: that size is too much). */
  #lastUp = Number.NEGATIVE_INFINITY;
  /** Encode times before this do not count ({@link WARM_UP_MS}). */
  #warmUntil = Number.NEGATIVE_INFINITY;

  constructor(options: EncoderLoadOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#step = options.startStep ?? START_STEP;
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
      this.#stepDown(now, median);
    } else if (this.#step === 0 || median * pixels(this.#step - 1, this.#step) > UP_ROOM_MS) {
      this.#calmSince = now;
    } else if (now - this.#calmSince >= this.#upCalm && now - this.#lastChange >= this.#upCalm) {
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

  /**
   * One step down; with the encode time `ms` that caused it, as many steps as it takes for
   * the time the smaller size would take to be under {@link OVERUSE_MS} (one reconfigured
   * encoder and one key frame, not one a second).
   */
  #stepDown(now: number, ms?: number): void {
    this.#calmSince = now;
    const last = SCALE_STEPS.length - 1;
    if (now - this.#lastChange < DOWN_GAP_MS || this.#step >= last) return;
    // The size just tried cannot be kept up with: wait longer before trying it again.
    if (now - this.#lastUp < UP_CALM_MS) {
      this.#upCalm = Math.min(MAX_UP_CALM_MS, this.#upCalm * 2);
    }
    let step = this.#step + 1;
    if (ms !== undefined) {
      let expected = ms / pixels(this.#step, step);
      while (step < last && expected > OVERUSE_MS) {
        expected /= pixels(step, step + 1);
        step += 1;
      }
    }
    this.#change(step, now);
  }

  #change(step: number, now: number): void {
    this.#step = step;
    this.#lastChange = now;
    this.#calmSince = now;
    this.#samples = [];
  }
}

/** How many times the pixels of size step `larger` are those of step `smaller`. */
function pixels(larger: number, smaller: number): number {
  const ratio = (SCALE_STEPS[larger] ?? 1) / (SCALE_STEPS[smaller] ?? 1);
  return ratio * ratio;
}

/** The encode time a step up is predicted to take at most, ms. */
const UP_ROOM_MS = OVERUSE_MS * UP_HEADROOM;
