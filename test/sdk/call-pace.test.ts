import { describe, expect, it } from 'vitest';
import { CallPace, PACE, readCallSample } from '../../sdk/link/direct/call-pace.js';
import type { StatsEntry } from '../../sdk/link/direct/stats.js';

const CEILING = 256 * 1024;

/** A `getStats()` report as a map, as the route reads it. */
function report(entries: Array<Record<string, unknown> & { type: string }>) {
  return new Map(
    entries.map((entry, i) => {
      const id = typeof entry.id === 'string' ? entry.id : `e${i}`;
      return [id, { timestamp: 0, ...entry, id } as StatsEntry];
    }),
  ) as ReadonlyMap<string, StatsEntry>;
}

describe('call pace: how fast files go while a call runs', () => {
  it('holds the ceiling while the call’s packets do not queue, or nothing is reported', () => {
    const pace = new CallPace(CEILING);
    expect(pace.bytesPerSecond).toBe(CEILING);
    for (const rttMs of [20, 25, 60, 69, undefined, 21]) {
      expect(pace.update(rttMs === undefined ? {} : { rttMs })).toBe(CEILING);
    }
  });

  it('halves while the round trip stays over 50 ms above the call’s lowest, and grows back', () => {
    const pace = new CallPace(CEILING);
    pace.update({ rttMs: 20 });
    // One late reading is no queue; two in a row are.
    expect(pace.update({ rttMs: 20 + PACE.queueMs + 1 })).toBe(CEILING);
    expect(pace.update({ rttMs: 25 })).toBe(CEILING);
    expect(pace.update({ rttMs: 20 + PACE.queueMs + 1 })).toBe(CEILING);
    expect(pace.update({ rttMs: 20 + PACE.queueMs + 1 })).toBe(CEILING / 2);
    expect(pace.update({ rttMs: 200 })).toBe(CEILING / 4);
    // The queue drained: a quarter more each second, back to the ceiling.
    expect(pace.update({ rttMs: 30 })).toBe((CEILING / 4) * PACE.growth);
    for (let i = 0; i < 10; i += 1) pace.update({ rttMs: 30 });
    expect(pace.bytesPerSecond).toBe(CEILING);
    // Never below the floor: a file always moves.
    for (let i = 0; i < 20; i += 1) pace.update({ rttMs: 500 });
    expect(pace.bytesPerSecond).toBe(PACE.floorBytesPerSecond);
  });

  it('reads the longest round trip the peer reports for our media, else the ICE pair’s', () => {
    expect(
      readCallSample(
        report([
          { type: 'remote-inbound-rtp', kind: 'audio', roundTripTime: 0.012 },
          { type: 'remote-inbound-rtp', kind: 'video', roundTripTime: 0.031 },
          { type: 'transport', selectedCandidatePairId: 'pair' },
          { id: 'pair', type: 'candidate-pair', currentRoundTripTime: 0.002 },
        ]),
      ),
    ).toEqual({ rttMs: 31 });
    expect(
      readCallSample(
        report([
          { type: 'remote-inbound-rtp', kind: 'video' }, // no RTCP report yet
          { type: 'transport', selectedCandidatePairId: 'pair' },
          { id: 'pair', type: 'candidate-pair', currentRoundTripTime: 0.004 },
        ]),
      ),
    ).toEqual({ rttMs: 4 });
    // Nothing reported (an implementation without these statistics).
    expect(readCallSample(report([{ type: 'outbound-rtp', kind: 'video' }]))).toEqual({});
  });
});
