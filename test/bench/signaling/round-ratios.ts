import { median } from '../shared/median.js';
import type { ServerKind } from './kinds.js';
import { LABELS, type SignalResult } from './report.js';

/** The figures of a signal round compared round by round; `rate` is the fixed rate. */
const figures = (rate: number): Array<{ label: string; of: (round: SignalResult) => number }> => [
  { label: 'CPU/signal at max', of: (round) => round.max.cpuMicrosPerMessage },
  {
    label: `CPU/signal @${rate.toLocaleString('en-US')}/s`,
    of: (round) => round.paced.cpuMicrosPerMessage,
  },
  { label: 'signals/s at max', of: (round) => round.max.rate },
];

/**
 * Peerlane ÷ each other server within each signal round, and their median. The servers of
 * a round run one right after the other, so a slow spell of the machine (tens of seconds
 * here) more often hits both sides of a ratio than two medians taken over the whole run;
 * every round counts, whatever its speed probe read. Lines to print after the table; none
 * without Peerlane or another server, or with no round both finished.
 */
export function roundRatioLines(
  signals: ReadonlyMap<ServerKind, ReadonlyArray<SignalResult | string>>,
  servers: readonly ServerKind[],
  rate: number,
): string[] {
  const ours = signals.get('peerlane') ?? [];
  const lines: string[] = [];
  for (const other of servers) {
    if (other === 'peerlane') continue;
    const theirs = signals.get(other) ?? [];
    const pairs = ours.flatMap((round, i) => {
      const against = theirs[i];
      return typeof round === 'string' || against === undefined || typeof against === 'string'
        ? []
        : [[round, against] as const];
    });
    if (pairs.length === 0) continue;
    const name = `Peerlane÷${LABELS[other]}`;
    for (const { label, of } of figures(rate)) {
      const ratios = pairs.map(([a, b]) => of(a) / of(b));
      lines.push(
        `  ${name.padEnd(22)} ${label.padEnd(22)} ${ratios.map((r) => r.toFixed(2)).join(' ')}  median ${median(ratios).toFixed(2)}×`,
      );
    }
  }
  return lines.length === 0
    ? []
    : ['per round (the servers back to back; every round, whatever its probe read):', ...lines];
}
