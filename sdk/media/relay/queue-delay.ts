/**
 * How much later than usual relayed frames arrive: the receiver's congestion signal (a
 * pure function of the times it is given, unit tested). Over TCP a link that carries less
 * than the sender sends loses nothing — the bytes queue in socket buffers and routers, and
 * every frame comes later than the one before — so drops come too late to steer by. Each
 * frame carries its capture time (the sender's clock); arrival minus capture is the transit
 * time plus the clocks' offset, whose minimum over the last {@link BASELINE_SECONDS} is the
 * path without a queue. The excess over that minimum is the queue. It counts only once
 * frames have kept arriving late for {@link CONFIRM_MS}: a page that stalled hands over
 * the frames that came meanwhile all at once — late, but within a few ms — and the next
 * ones are on time again.
 *
 * Audio frames are the ones to go by: they are stamped when they leave the encoder, so
 * their transit is the way from the sender's encoder to here. A video frame's stamp is its
 * capture, before an encoder that takes 2–200 ms on a busy machine: counted, a slow
 * encoder read as a slow link, and the bitrate fell to its floor with the link half empty
 * (9 frames/s at 74 kbit/s on a 1 Mbit/s link, two pages on two shared cores). Video
 * counts only while no audio has come for {@link AUDIO_FRESH_MS} (audio muted).
 */

/** The baseline is the least transit time of this many most recent seconds. */
export const BASELINE_SECONDS = 30;
/** How long frames must keep arriving late (each over {@link REPORT_OVER_MS}) to count, ms. */
export const CONFIRM_MS = 150;
/** The receiver tells the sender when frames queue longer than this, ms. */
export const REPORT_OVER_MS = 80;
/** At most one report per this many ms. */
export const REPORT_GAP_MS = 250;
/** Video frames count toward the queue only when no audio frame came for this long, ms. */
export const AUDIO_FRESH_MS = 1000;
/** {@link QueueDelay.recentMaxMs} looks back this many seconds. */
export const RECENT_SECONDS = 10;

/** One value per second — the one `pick` keeps of those seen in it — for the last `seconds`. */
class PerSecond {
  #values: Array<[number, number]> = [];

  constructor(
    private readonly seconds: number,
    private readonly pick: (a: number, b: number) => number,
  ) {}

  /** `value` was seen in `second`; seconds older than the window are forgotten. */
  add(second: number, value: number): void {
    const last = this.#values.at(-1);
    if (last && last[0] === second) last[1] = this.pick(last[1], value);
    else this.#values.push([second, value]);
    while ((this.#values[0]?.[0] ?? second) <= second - this.seconds) this.#values.shift();
  }

  /** The values kept, the oldest first. */
  values(): number[] {
    return this.#values.map(([, value]) => value);
  }
}

/** The queue relayed frames wait in (see the file's comment). All times in ms. */
export class QueueDelay {
  /** The least transit time of each recent second. */
  readonly #minima = new PerSecond(BASELINE_SECONDS, Math.min);
  /** The longest queue of each recent second. */
  readonly #maxima = new PerSecond(RECENT_SECONDS, Math.max);
  /** When the frames arriving late began (undefined: the last one was on time). */
  #lateSince: number | undefined;
  #lastReport = Number.NEGATIVE_INFINITY;
  /** When the last audio frame arrived. */
  #audioAt = Number.NEGATIVE_INFINITY;

  /**
   * The longest any frame queued in the last {@link RECENT_SECONDS}, in ms: how late a
   * frame may come, so how much audio the receiver should hold to play through it.
   */
  get recentMaxMs(): number {
    return Math.max(0, ...this.#maxima.values());
  }

  /**
   * A frame of `kind` stamped `captureMs` (the sender's clock) arrived at `arrivalMs` (this
   * one). Returns the queue to report to the sender (ms), or undefined when there is
   * nothing to say (or the frame does not count: video while audio comes).
   */
  arrived(kind: 'audio' | 'video', captureMs: number, arrivalMs: number): number | undefined {
    if (kind === 'audio') this.#audioAt = arrivalMs;
    else if (arrivalMs - this.#audioAt < AUDIO_FRESH_MS) return undefined;
    const transit = arrivalMs - captureMs;
    if (!Number.isFinite(transit)) return undefined;
    const second = Math.floor(arrivalMs / 1000);
    this.#minima.add(second, transit);
    const queued = transit - Math.min(...this.#minima.values());
    this.#maxima.add(second, queued);
    if (queued <= REPORT_OVER_MS) {
      this.#lateSince = undefined;
      return undefined;
    }
    this.#lateSince ??= arrivalMs;
    if (arrivalMs - this.#lateSince < CONFIRM_MS) return undefined;
    if (arrivalMs - this.#lastReport < REPORT_GAP_MS) return undefined;
    this.#lastReport = arrivalMs;
    return Math.round(queued);
  }
}
