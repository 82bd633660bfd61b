/**
 * Turns the cluster benchmark's figures into a plain-text table: one row per figure, a
 * column per setup, and the ratio Redis ÷ memory.
 */

import { textTable } from '../shared/text-table.js';
import type { Summary } from '../signaling/kinds.js';
import type { Setup } from './ipc.js';

/** The closed-loop signal run of one setup. CPU figures are µs per signal relayed. */
export interface SignalFigures {
  rate: number;
  latency: Summary;
  /** All nodes together. */
  nodeCpu: number;
  nodeUser: number;
  /** redis-server; null without Redis. */
  redisCpu: number | null;
  /** Commands redis-server processed per signal; null without Redis. */
  commands: number | null;
  /** Server processes (nodes and redis-server) together, as a share of one core. */
  serverBusy: number;
  loadBusy: number;
  othersShare: number;
  meanBytes: number;
}

/** The joins of one setup. CPU and command figures are per measured join cycle. */
export interface JoinFigures {
  frame: Summary;
  connect: Summary;
  presence: Summary;
  nodeCpu: number;
  redisCpu: number | null;
  commands: number | null;
  othersShare: number;
}

/** What was measured for one setup; a string stands for a phase that failed, and why. */
export interface SetupResults {
  join: JoinFigures | string;
  signal: SignalFigures | string;
}

export const LABELS: Record<Setup, string> = {
  memory: 'memory, 1 node',
  redis: 'Redis, 2 nodes',
};

type Cell = number | null | string;

interface Row {
  label: string;
  cells: Partial<Record<Setup, Cell>>;
  format: (value: number) => string;
  /** Whether Redis ÷ memory means anything for this figure. @default true */
  ratio?: boolean;
}

const ms = (value: number): string => value.toFixed(value < 10 ? 3 : 1);
const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const micros = (value: number): string => value.toFixed(1);
const count = (value: number): string => value.toFixed(2);
const percent = (value: number): string => `${Math.round(value * 100)}%`;

function rows(results: Partial<Record<Setup, SetupResults>>): Row[] {
  const cells = <T>(part: (r: SetupResults) => T | string, value: (t: T) => Cell) => {
    const out: Partial<Record<Setup, Cell>> = {};
    for (const [setup, result] of Object.entries(results) as Array<[Setup, SetupResults]>) {
      const got = part(result);
      out[setup] = typeof got === 'string' ? got : value(got);
    }
    return out;
  };
  const signal = (get: (s: SignalFigures) => Cell) => cells((r) => r.signal, get);
  const join = (get: (j: JoinFigures) => Cell) => cells((r) => r.join, get);
  const sum = (a: number, b: number | null): number => a + (b ?? 0);
  return [
    { label: 'signals/s, closed loop', cells: signal((s) => s.rate), format: int },
    { label: '  latency p50 (ms)', cells: signal((s) => s.latency.p50), format: ms },
    { label: '  latency p99 (ms)', cells: signal((s) => s.latency.p99), format: ms },
    {
      label: '  node CPU/signal, all nodes (µs)',
      cells: signal((s) => s.nodeCpu),
      format: micros,
    },
    { label: '    of which user space (µs)', cells: signal((s) => s.nodeUser), format: micros },
    { label: '  redis-server CPU/signal (µs)', cells: signal((s) => s.redisCpu), format: micros },
    {
      label: '  nodes + redis-server CPU/signal (µs)',
      cells: signal((s) => sum(s.nodeCpu, s.redisCpu)),
      format: micros,
    },
    {
      label: '  redis commands/signal (incl. in scripts)',
      cells: signal((s) => s.commands),
      format: count,
    },
    {
      label: '  server processes, share of CPU 0',
      cells: signal((s) => s.serverBusy),
      format: percent,
      ratio: false,
    },
    {
      label: '  load generator, share of CPU 1',
      cells: signal((s) => s.loadBusy),
      format: percent,
      ratio: false,
    },
    {
      label: "  other processes' share of CPUs 0–1",
      cells: signal((s) => s.othersShare),
      format: percent,
      ratio: false,
    },
    { label: 'join frame→welcome p50 (ms)', cells: join((j) => j.frame.p50), format: ms },
    { label: 'join frame→welcome p99 (ms)', cells: join((j) => j.frame.p99), format: ms },
    { label: '  connect→welcome p50 (ms)', cells: join((j) => j.connect.p50), format: ms },
    { label: '  connect→welcome p99 (ms)', cells: join((j) => j.connect.p99), format: ms },
    {
      label: '  join frame→member hears p50 (ms)',
      cells: join((j) => j.presence.p50),
      format: ms,
    },
    {
      label: '  join frame→member hears p99 (ms)',
      cells: join((j) => j.presence.p99),
      format: ms,
    },
    { label: '  node CPU/join cycle, all nodes (µs)', cells: join((j) => j.nodeCpu), format: int },
    {
      label: '  redis-server CPU/join cycle (µs)',
      cells: join((j) => j.redisCpu),
      format: int,
    },
    {
      label: '  redis commands/join cycle (incl. in scripts)',
      cells: join((j) => j.commands),
      format: count,
    },
    {
      label: "  other processes' share of CPUs 0–1",
      cells: join((j) => j.othersShare),
      format: percent,
      ratio: false,
    },
  ];
}

/** Renders the table; failures become numbered notes under it. */
export function renderTable(
  results: Partial<Record<Setup, SetupResults>>,
  setups: readonly Setup[],
): string {
  const notes: string[] = [];
  const noteFor = (setup: Setup, reason: string): string => {
    const text = `${LABELS[setup]}: ${reason}`;
    let index = notes.indexOf(text);
    if (index === -1) index = notes.push(text) - 1;
    return `failed [${index + 1}]`;
  };
  const both = setups.includes('memory') && setups.includes('redis');
  const header = ['figure', ...setups.map((s) => LABELS[s]), ...(both ? ['Redis÷memory'] : [])];
  const table: string[][] = [header];
  for (const row of rows(results)) {
    const text = (setup: Setup): string => {
      const cell = row.cells[setup];
      if (cell === undefined || cell === null) return '—';
      if (typeof cell === 'string') return noteFor(setup, cell);
      return Number.isFinite(cell) ? row.format(cell) : '—';
    };
    const line = [row.label, ...setups.map(text)];
    if (both) {
      const redis = row.cells.redis;
      const memory = row.cells.memory;
      // A ratio to nothing (no Redis in memory) or of a non-positive reading means nothing.
      const ratio =
        row.ratio !== false &&
        typeof redis === 'number' &&
        typeof memory === 'number' &&
        redis > 0 &&
        memory > 0 &&
        Number.isFinite(redis / memory)
          ? `${(redis / memory).toFixed(2)}×`
          : row.ratio === false
            ? ''
            : '—';
      line.push(ratio);
    }
    table.push(line);
  }
  return textTable(table, notes);
}
