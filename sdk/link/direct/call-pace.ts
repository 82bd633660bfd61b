/**
 * How fast files may go on a direct route while a call runs on it — calls first. Files and
 * media share the connection's path and both machines' CPU, and neither WebRTC's congestion
 * control nor a data channel's priority makes a file step aside: a file fills the path's
 * queue (every audio and video packet waits behind it) and takes CPU the codecs need. So
 * while a call runs, the route gives its bulk lane a pace (`Lane.pace`): at most the
 * `callFilePace` option (1 MiB/s by default: 8 Mbit/s, about a tenth of a core), and
 * less when the call's packets start to queue — read every {@link PACE.everyMs} from the
 * connection's own statistics, as the round-trip time the peer reports for our media
 * (RTCP; the ICE pair's where there is none): more than {@link PACE.queueMs} above the
 * lowest seen in this call, in {@link PACE.queuedReadings} readings in a row (one late
 * report is no queue), and the pace halves (not below {@link PACE.floorBytesPerSecond}:
 * a file always moves); otherwise it grows by {@link PACE.growth} a second back to the
 * ceiling. Where no round-trip time is reported, the ceiling holds.
 *
 * Tried and dropped: the encoder's `qualityLimitationReason` (on an idle loopback path
 * Chromium says `'bandwidth'` for a whole call while its estimate ramps up, and says
 * nothing when the *receiver*'s CPU is what suffers), and `availableOutgoingBitrate` as a
 * ceiling (congestion control estimates only what the call asks for: it held a file on an
 * idle path to nothing).
 */

import { type StatsEntry, selectedPair } from './stats.js';

/** The pace's numbers. */
export const PACE = {
  /** How often the pace is read again, ms. */
  everyMs: 1000,
  /** Queueing that halves the pace: round-trip time this far above the call's lowest, ms. */
  queueMs: 50,
  /** Readings in a row over the call's lowest round trip that make a queue. */
  queuedReadings: 2,
  /** The lowest pace, bytes per second: a file always moves. */
  floorBytesPerSecond: 32 * 1024,
  /** The pace grows back by this factor each second the call's packets do not queue. */
  growth: 1.25,
} as const;

/** What a call's statistics say, for the pace. */
export interface CallSample {
  /** The round-trip time of the call's packets now, ms, if reported. */
  rttMs?: number;
}

/** The pace of one route's files during one call (see the file's comment). */
export class CallPace {
  #rate: number;
  #lowestRtt = Number.POSITIVE_INFINITY;
  /** Readings in a row with the round trip over the lowest by more than `queueMs`. */
  #over = 0;

  /** @param ceiling the most it allows, bytes per second (`callFilePace`). */
  constructor(private readonly ceiling: number) {
    this.#rate = ceiling;
  }

  /** The pace now, bytes per second. */
  get bytesPerSecond(): number {
    return this.#rate;
  }

  /** A new sample; returns the new pace. */
  update({ rttMs }: CallSample): number {
    if (rttMs !== undefined) this.#lowestRtt = Math.min(this.#lowestRtt, rttMs);
    const over = rttMs !== undefined && rttMs > this.#lowestRtt + PACE.queueMs;
    this.#over = over ? this.#over + 1 : 0;
    const rate =
      this.#over >= PACE.queuedReadings
        ? this.#rate / 2
        : over
          ? this.#rate // one late reading: wait for the next
          : this.#rate * PACE.growth;
    this.#rate = Math.min(this.ceiling, Math.max(PACE.floorBytesPerSecond, rate));
    return this.#rate;
  }
}

/**
 * Reads a {@link CallSample} from a `getStats()` report: the longest round-trip time the
 * peer reports for our media (`remote-inbound-rtp`), else the selected ICE pair's.
 */
export function readCallSample(reports: ReadonlyMap<string, StatsEntry>): CallSample {
  let rtt: number | undefined;
  for (const report of reports.values()) {
    if (report.type !== 'remote-inbound-rtp') continue;
    const value = seconds(report.roundTripTime);
    if (value !== undefined) rtt = Math.max(rtt ?? 0, value);
  }
  const chosen = rtt ?? seconds(selectedPair(reports).pair?.currentRoundTripTime);
  return chosen === undefined ? {} : { rttMs: chosen * 1000 };
}

const seconds = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
