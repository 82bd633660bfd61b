/**
 * Relayed audio played a little slower or faster without changing its pitch, as a WebRTC
 * receiver does (NetEq's "preemptive expand" and "accelerate"): a chunk gets whole periods
 * of its own sound more, or fewer, joined by a cross-fade where the sound repeats itself.
 * Changing the playback rate instead shifts the pitch with it (5 % is almost a semitone),
 * which is why the jitter buffer could only grow its queue slowly.
 *
 * In a chunk of N samples, the period P (2.5–10 ms) is the one whose two neighbouring
 * stretches `[s, s+P)` and `[s+P, s+2P)` (centred, `s = (N − 2P) / 2`) look most alike
 * (normalized cross-correlation, first channel). Longer: the first stretch is played twice,
 * the second copy fading into the sound that follows. Shorter: the first fades into the
 * second, and one of them is gone. Either way each join continues the sample before it.
 */

/** The shortest period looked for, in ms (400 Hz). */
export const MIN_PERIOD_MS = 2.5;
/** The longest period looked for, in ms (100 Hz). */
export const MAX_PERIOD_MS = 10;

/** The period of `x` around its middle, in samples (see the file's comment). */
export function period(x: Float32Array, minP: number, maxP: number): number {
  const top = Math.min(maxP, Math.floor(x.length / 2));
  let best = Math.min(minP, top);
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let p = Math.min(minP, top); p <= top; p += 1) {
    const s = (x.length - 2 * p) >> 1;
    let cross = 0;
    let a2 = 0;
    let b2 = 0;
    for (let k = 0; k < p; k += 1) {
      const a = x[s + k] ?? 0;
      const b = x[s + p + k] ?? 0;
      cross += a * b;
      a2 += a * a;
      b2 += b * b;
    }
    const score = a2 > 0 && b2 > 0 ? cross / Math.sqrt(a2 * b2) : 0;
    if (score > bestScore + 1e-6) {
      bestScore = score;
      best = p;
    }
  }
  return best;
}

/**
 * `channels` one period longer (`by` = 1) or shorter (−1) — or as many whole periods as fit
 * in `upToMs` and in half the chunk — each channel alike; the same arrays when the chunk is
 * too short to hold two periods.
 */
export function stretch(
  channels: Float32Array<ArrayBuffer>[],
  by: 1 | -1,
  sampleRate: number,
  upToMs = 0,
): Float32Array<ArrayBuffer>[] {
  const first = channels[0];
  const minP = Math.round((MIN_PERIOD_MS * sampleRate) / 1000);
  if (!first || first.length < 2 * minP) return channels;
  const one = period(first, minP, Math.round((MAX_PERIOD_MS * sampleRate) / 1000));
  const room = Math.min(Math.round((upToMs * sampleRate) / 1000), first.length >> 1);
  const p = one * Math.max(1, Math.floor(room / one));
  const s = (first.length - 2 * p) >> 1;
  return channels.map((x) => {
    const y = new Float32Array(x.length + by * p);
    if (by === 1) {
      // x[0, s+P) · fade(x[s+P, s+2P) → x[s, s+P)) · x[s+P, N)
      y.set(x.subarray(0, s + p), 0);
      crossFade(y, s + p, x.subarray(s + p, s + 2 * p), x.subarray(s, s + p));
      y.set(x.subarray(s + p), s + 2 * p);
    } else {
      // x[0, s) · fade(x[s, s+P) → x[s+P, s+2P)) · x[s+2P, N)
      y.set(x.subarray(0, s), 0);
      crossFade(y, s, x.subarray(s, s + p), x.subarray(s + p, s + 2 * p));
      y.set(x.subarray(s + 2 * p), s + p);
    }
    return y;
  });
}

/** Writes into `y` from `at` a linear cross-fade from `from` to `to` (the same length). */
function crossFade(y: Float32Array, at: number, from: Float32Array, to: Float32Array): void {
  const p = from.length;
  for (let k = 0; k < p; k += 1) {
    const w = (k + 1) / (p + 1);
    y[at + k] = (from[k] ?? 0) * (1 - w) + (to[k] ?? 0) * w;
  }
}

/**
 * Plays a stream of chunks at an average rate by whole periods: each chunk's share of the
 * rate change is owed (`rate` 0.9: a 20 ms chunk owes 2.2 ms more), and a chunk gets as
 * many periods more (slower) or fewer (faster) as the debt holds, at least one once over
 * half a shortest period is owed. Only in
 * the rate's direction: a period longer than the debt leaves it the other way, and the
 * next chunks pay it back by waiting, not by going the other way.
 */
export class TimeStretch {
  /** Sound owed (ms): positive, play longer; negative, shorter. */
  #owedMs = 0;
  #slower = false;

  /** `channels` (one chunk) adjusted toward `rate`; its new duration is their length. */
  apply(
    channels: Float32Array<ArrayBuffer>[],
    sampleRate: number,
    rate: number,
  ): Float32Array<ArrayBuffer>[] {
    const samples = channels[0]?.length ?? 0;
    const ms = (samples / sampleRate) * 1000;
    const slower = rate < 1;
    if (rate === 1 || slower !== this.#slower) this.#owedMs = 0;
    this.#slower = slower;
    if (rate === 1) return channels;
    this.#owedMs += ms / rate - ms;
    const due = MIN_PERIOD_MS / 2;
    if (slower ? this.#owedMs < due : this.#owedMs > -due) return channels;
    const out = stretch(channels, slower ? 1 : -1, sampleRate, Math.abs(this.#owedMs));
    const changedMs = (((out[0]?.length ?? 0) - samples) / sampleRate) * 1000;
    // Never owe more than one chunk's worth either way (a chunk too short to change).
    this.#owedMs = Math.max(-ms, Math.min(ms, this.#owedMs - changedMs));
    return out;
  }
}
