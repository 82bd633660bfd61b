/**
 * Turns measurements into the plain-text table the benchmark prints: one row per figure,
 * one column per server, each server's ratio to the bare relay, and Peerlane's target.
 */

import { textTable } from '../shared/text-table.js';
import type { ServerKind, Summary } from './kinds.js';

export interface MemoryReading {
  sockets: number;
  /** Bytes of RSS over the baseline with `sockets` idle sockets, or why there is no reading. */
  rss: number | string;
  /** Bytes of JS heap in use over the baseline, or why there is no reading. */
  heap: number | string;
}

export interface JoinResult {
  connect: Summary;
  frame: Summary | null;
  failed: number;
}

/** One signal run: closed loop (as fast as the server goes) or at a fixed rate. */
export interface SignalRun {
  rate: number;
  latency: Summary;
  cpuMicrosPerMessage: number;
  /** The user-space part of {@link cpuMicrosPerMessage}: the JS, without the kernel's TCP work. */
  userMicrosPerMessage: number;
  serverBusy: number;
  loadBusy: number;
  /** Share of cores 0–1 used by other processes meanwhile: how noisy the machine was. */
  othersBusy: number;
  meanBytes: number;
  relayed: number;
  /** The slower of the speed probes before and after the run, in the server's process (ms). */
  probeMs: number;
}

export interface SignalResult {
  /** Closed loop: the top rate, and latency under that load. */
  max: SignalRun;
  /** The same fixed rate for every server: CPU per signal under identical load. */
  paced: SignalRun;
}

/** What was measured for one server; a string stands for a phase that failed, and why. */
export interface ServerResults {
  memory: MemoryReading[] | string;
  join: JoinResult | string;
  signal: SignalResult | string;
  /** Signal rounds in the medians: those whose speed probe read the machine at full speed. */
  signalRounds?: number;
}

/** A cell: a number, n/a (null), or a failure reason. */
type Cell = number | null | string;

interface Row {
  label: string;
  cells: Partial<Record<ServerKind, Cell>>;
  format: (value: number) => string;
  /** Whether a ratio to the bare relay means anything for this figure. @default true */
  ratio?: boolean;
  /** Peerlane's target relative to the bare relay: at most or at least `factor`×. */
  target?: { atMost: boolean; factor: number };
}

export const LABELS: Record<ServerKind, string> = {
  peerlane: 'Peerlane',
  bare: 'bare ws',
  peerserver: 'PeerServer',
};

const kb = (bytes: number): string => (bytes / 1024).toFixed(2);
const ms = (value: number): string => value.toFixed(value < 10 ? 3 : 1);
const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const micros = (value: number): string => value.toFixed(1);
const percent = (value: number): string => `${Math.round(value * 100)}%`;

function pick<T>(
  results: Partial<Record<ServerKind, ServerResults>>,
  get: (r: ServerResults) => T | string,
  value: (t: T) => Cell,
): Partial<Record<ServerKind, Cell>> {
  const cells: Partial<Record<ServerKind, Cell>> = {};
  for (const [kind, result] of Object.entries(results) as Array<[ServerKind, ServerResults]>) {
    const part = get(result);
    cells[kind] = typeof part === 'string' ? part : value(part);
  }
  return cells;
}

function rows(
  results: Partial<Record<ServerKind, ServerResults>>,
  sizes: number[],
  rate: number,
): Row[] {
  const out: Row[] = [];
  const memoryTarget = { atMost: true, factor: 1.2 };
  const readingAt = (i: number) => (r: ServerResults) =>
    typeof r.memory === 'string' ? r.memory : (r.memory[i] ?? 'not measured');
  const perSocket = (value: number | string, sockets: number): Cell =>
    typeof value === 'string' ? value : value / sockets;
  for (const [i, sockets] of sizes.entries()) {
    out.push({
      label: `idle RSS/socket @${sockets.toLocaleString('en-US')} (KiB)`,
      cells: pick(results, readingAt(i), (m) => perSocket(m.rss, sockets)),
      format: kb,
      target: memoryTarget,
    });
  }
  const last = sizes.length - 1;
  const top = sizes[last] ?? 0;
  const previous = sizes[last - 1] ?? 0;
  if (last >= 1) {
    // The slope between the two largest counts leaves out whatever the process grew by once.
    const marginal = (result: ServerResults): Cell => {
      const a = readingAt(last - 1)(result);
      const b = readingAt(last)(result);
      if (typeof a === 'string') return a;
      if (typeof b === 'string') return b;
      if (typeof a.rss === 'string') return a.rss;
      if (typeof b.rss === 'string') return b.rss;
      return (b.rss - a.rss) / (top - previous);
    };
    const cells: Partial<Record<ServerKind, Cell>> = {};
    for (const [kind, result] of Object.entries(results) as Array<[ServerKind, ServerResults]>) {
      cells[kind] = marginal(result);
    }
    out.push({
      label: `  marginal RSS/socket ${previous.toLocaleString('en-US')}→${top.toLocaleString('en-US')}`,
      cells,
      format: kb,
    });
  }
  if (last >= 0) {
    out.push({
      label: `  JS heap/socket @${top.toLocaleString('en-US')} (KiB)`,
      cells: pick(results, readingAt(last), (m) => perSocket(m.heap, top)),
      format: kb,
    });
  }
  const max = (r: ServerResults) => (typeof r.signal === 'string' ? r.signal : r.signal.max);
  const paced = (r: ServerResults) => (typeof r.signal === 'string' ? r.signal : r.signal.paced);
  const cpuTarget = { atMost: true, factor: 1.1 };
  const at = `@${rate.toLocaleString('en-US')}/s`;
  out.push(
    {
      label: 'signals/s, closed loop (max)',
      cells: pick(results, max, (s) => s.rate),
      format: int,
      target: { atMost: false, factor: 0.9 },
    },
    {
      label: '  latency p50 at max (ms)',
      cells: pick(results, max, (s) => s.latency.p50),
      format: ms,
    },
    {
      label: '  latency p99 at max (ms)',
      cells: pick(results, max, (s) => s.latency.p99),
      format: ms,
    },
    {
      label: '  server CPU/signal at max (µs)',
      cells: pick(results, max, (s) => s.cpuMicrosPerMessage),
      format: micros,
      target: cpuTarget,
    },
    {
      label: '    of which user space (µs)',
      cells: pick(results, max, (s) => s.userMicrosPerMessage),
      format: micros,
    },
    ...busyRows(results, max, ['server', 'load generator', 'others']),
    {
      label: '  speed probe on CPU 0 (ms)',
      cells: pick(results, max, (s) => s.probeMs),
      format: ms,
    },
    {
      label: `server CPU/signal ${at} (µs)`,
      cells: pick(results, paced, (s) => s.cpuMicrosPerMessage),
      format: micros,
      target: cpuTarget,
    },
    {
      label: '  of which user space (µs)',
      cells: pick(results, paced, (s) => s.userMicrosPerMessage),
      format: micros,
    },
    {
      label: `  latency p50 ${at} (ms)`,
      cells: pick(results, paced, (s) => s.latency.p50),
      format: ms,
    },
    {
      label: `  latency p99 ${at} (ms)`,
      cells: pick(results, paced, (s) => s.latency.p99),
      format: ms,
    },
    ...busyRows(results, paced, ['others']),
    {
      label: '  speed probe on CPU 0 (ms)',
      cells: pick(results, paced, (s) => s.probeMs),
      format: ms,
    },
    {
      label: 'signal rounds at full speed',
      cells: Object.fromEntries(
        Object.entries(results).map(([kind, r]) => [kind, r.signalRounds ?? null]),
      ),
      format: (n) => String(n),
      ratio: false,
    },
  );
  const join = (r: ServerResults) => r.join;
  const joinTarget = { atMost: true, factor: 1.2 };
  out.push(
    {
      label: 'join: connect→welcome p50 (ms)',
      cells: pick(results, join, (j) => j.connect.p50),
      format: ms,
      target: joinTarget,
    },
    {
      label: 'join: connect→welcome p99 (ms)',
      cells: pick(results, join, (j) => j.connect.p99),
      format: ms,
      target: joinTarget,
    },
    {
      label: '  join frame→welcome p50 (ms)',
      cells: pick(results, join, (j) => j.frame?.p50 ?? null),
      format: ms,
    },
    {
      label: '  join frame→welcome p99 (ms)',
      cells: pick(results, join, (j) => j.frame?.p99 ?? null),
      format: ms,
    },
  );
  return out;
}

type Busy = 'server' | 'load generator' | 'others';

function busyRows(
  results: Partial<Record<ServerKind, ServerResults>>,
  run: (r: ServerResults) => SignalRun | string,
  which: Busy[],
): Row[] {
  const field = {
    server: 'serverBusy',
    'load generator': 'loadBusy',
    others: 'othersBusy',
  } as const;
  return which.map((busy) => ({
    label: busy === 'others' ? "  other processes' share of CPUs 0–1" : `  ${busy} CPU busy`,
    cells: pick(results, run, (s) => s[field[busy]]),
    format: percent,
    ratio: false,
  }));
}

/** Renders the table; failures become numbered notes under it. */
export function renderTable(
  results: Partial<Record<ServerKind, ServerResults>>,
  servers: ServerKind[],
  sizes: number[],
  rate: number,
): string {
  const notes: string[] = [];
  const noteFor = (server: ServerKind, reason: string): string => {
    const text = `${LABELS[server]}: ${reason}`;
    let index = notes.indexOf(text);
    if (index === -1) index = notes.push(text) - 1;
    return `failed [${index + 1}]`;
  };
  const hasBare = servers.includes('bare');
  const ratioOf = servers.filter((s) => s !== 'bare');
  const header = [
    'figure',
    ...servers.map((s) => LABELS[s]),
    ...(hasBare ? ratioOf.map((s) => `${LABELS[s]}÷bare`) : []),
    ...(hasBare && servers.includes('peerlane') ? ['target', 'met'] : []),
  ];
  const table: string[][] = [header];
  for (const row of rows(results, sizes, rate)) {
    const text = (server: ServerKind): string => {
      const cell = row.cells[server];
      if (cell === undefined || cell === null) return '—';
      if (typeof cell === 'string') return noteFor(server, cell);
      return Number.isFinite(cell) ? row.format(cell) : '—';
    };
    const ratio = (server: ServerKind): number | null => {
      const value = row.cells[server];
      const base = row.cells.bare;
      if (row.ratio === false) return null;
      // A ratio of a negative reading (a baseline that shrank) would read as a win.
      if (typeof value !== 'number' || typeof base !== 'number') return null;
      return value > 0 && base > 0 && Number.isFinite(value) ? value / base : null;
    };
    const line = [row.label, ...servers.map(text)];
    if (hasBare) {
      for (const server of ratioOf) {
        const r = ratio(server);
        line.push(r === null ? (row.ratio === false ? '' : '—') : `${r.toFixed(2)}×`);
      }
      if (servers.includes('peerlane')) {
        const { target } = row;
        const r = ratio('peerlane');
        line.push(target ? `${target.atMost ? '≤' : '≥'} ${target.factor}×` : '');
        line.push(
          !target
            ? ''
            : r === null
              ? '?'
              : (target.atMost ? r <= target.factor : r >= target.factor)
                ? 'yes'
                : 'NO',
        );
      }
    }
    table.push(line);
  }
  return textTable(table, notes);
}
