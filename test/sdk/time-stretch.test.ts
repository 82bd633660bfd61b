/**
 * Pitch-keeping time stretch of relayed audio (`sdk/media/relay/time-stretch.ts`): a chunk
 * one period longer or shorter, joined without a click, at the same pitch; and a stream
 * of chunks played at an average rate by whole periods.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_PERIOD_MS,
  MIN_PERIOD_MS,
  period,
  stretch,
  TimeStretch,
} from '../../sdk/media/relay/time-stretch.js';

const RATE = 48_000;
const CHUNK = 960; // 20 ms, as Opus decodes

/** `count` samples of a sine of `hz`, from sample `from`. */
function sine(hz: number, count: number, from = 0): Float32Array<ArrayBuffer> {
  return Float32Array.from({ length: count }, (_, i) =>
    Math.sin((2 * Math.PI * hz * (from + i)) / RATE),
  );
}

/** The largest step between neighbouring samples: a click shows as a jump. */
function largestStep(x: Float32Array): number {
  let most = 0;
  for (let i = 1; i < x.length; i += 1)
    most = Math.max(most, Math.abs((x[i] ?? 0) - (x[i - 1] ?? 0)));
  return most;
}

/** The pitch from the first and last rising zero crossings (interpolated), in Hz. */
function pitch(x: Float32Array): number {
  const rises: number[] = [];
  for (let i = 1; i < x.length; i += 1) {
    const [a, b] = [x[i - 1] ?? 0, x[i] ?? 0];
    if (a < 0 && b >= 0) rises.push(i - 1 + -a / (b - a));
  }
  const [first, last] = [rises[0] ?? 0, rises.at(-1) ?? 0];
  return ((rises.length - 1) / (last - first)) * RATE;
}

const joined = (chunks: Float32Array[]) => {
  const all = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
};

describe('pitch-keeping time stretch', () => {
  const minP = (MIN_PERIOD_MS * RATE) / 1000;
  const maxP = (MAX_PERIOD_MS * RATE) / 1000;

  it('finds the period of a tone (or a multiple of it within range)', () => {
    // 200 Hz: 240 samples. 440 Hz: 109.1 samples, under the shortest looked for: a multiple.
    expect(period(sine(200, CHUNK), minP, maxP)).toBe(240);
    const p = period(sine(440, CHUNK), minP, maxP);
    expect(Math.abs(p / (RATE / 440) - Math.round(p / (RATE / 440)))).toBeLessThan(0.05);
  });

  it('makes a chunk one period longer or shorter, without a click, at the same pitch', () => {
    const x = sine(200, CHUNK);
    const step = largestStep(x);
    for (const by of [1, -1] as const) {
      const [y] = stretch([x], by, RATE);
      expect(y?.length).toBe(CHUNK + by * 240);
      expect(largestStep(y as Float32Array)).toBeLessThan(step * 1.05);
      expect(Math.abs(pitch(y as Float32Array) - 200)).toBeLessThan(200 * 0.08);
    }
  });

  it('treats every channel alike, and leaves a chunk too short alone', () => {
    const left = sine(200, CHUNK);
    const right = sine(200, CHUNK).map((v) => v / 2) as Float32Array<ArrayBuffer>;
    const [l, r] = stretch([left, right], 1, RATE);
    expect(r?.length).toBe(l?.length);
    expect(r?.[700]).toBeCloseTo((l?.[700] ?? 0) / 2, 6);
    const short = sine(200, 100);
    expect(stretch([short], 1, RATE)[0]).toBe(short);
  });

  it('plays a stream at the asked average rate by whole periods, keeping pitch and joins', () => {
    for (const rate of [0.85, 1.15]) {
      const stretcher = new TimeStretch();
      const out: Float32Array[] = [];
      for (let i = 0; i < 100; i += 1)
        out.push(...stretcher.apply([sine(300, CHUNK, i * CHUNK)], RATE, rate));
      const all = joined(out);
      // Two seconds in, 2/rate out, within one longest period.
      expect(Math.abs(all.length - (100 * CHUNK) / rate)).toBeLessThanOrEqual(maxP);
      expect(Math.abs(pitch(all) - 300)).toBeLessThan(300 * 0.03);
      expect(largestStep(all)).toBeLessThan(largestStep(sine(300, CHUNK)) * 1.1);
    }
  });

  it('at rate 1 changes nothing, and never swings the other way after a long period', () => {
    const stretcher = new TimeStretch();
    const x = sine(200, CHUNK);
    expect(stretcher.apply([x], RATE, 1)[0]).toBe(x);
    // Slower: lengths only ever grow or stay.
    for (let i = 0; i < 20; i += 1) {
      expect(stretcher.apply([sine(110, CHUNK)], RATE, 0.85)[0]?.length).toBeGreaterThanOrEqual(
        CHUNK,
      );
    }
  });
});
