import { join } from 'node:path';
import { SERVER_V8_FLAGS } from '../../../signaling/v8-flags.js';
import type { FromLoad, FromServer, ToLoad, ToServer } from './ipc.js';
/**
 * The benchmark's phases as the orchestrator runs them against one server process:
 * idle memory, joins, and signals (with the server's CPU time read around the latter).
 */
import type { ServerKind } from './kinds.js';
import type { BenchOptions } from './options.js';
import { Child, coreBusyMicros, cpuTimes, rssBytes } from './processes.js';
import {
  type JoinResult,
  LABELS,
  type MemoryReading,
  type SignalResult,
  type SignalRun,
} from './report.js';

export type LoadGenerator = Child<ToLoad, FromLoad>;
export type ServerProcess = Child<ToServer, FromServer>;

export const SERVER_CPU = 0;
export const LOAD_CPU = 1;
const START_TIMEOUT_MS = 20_000;

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const started = performance.now();

/** Progress on stderr, with seconds since start, so stdout stays just the report. */
export const log = (text: string): void => {
  const seconds = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${seconds} s] ${text}\n`);
};

/**
 * Starts a server process; with `profile` and `--cpu-prof=DIR`, V8 profiles each of its
 * threads (tsx's loader has one) into DIR/<server>/.
 */
export async function startServer(kind: ServerKind, options: BenchOptions, profile = false) {
  const args = options.peerlaneModule === null ? [kind] : [kind, options.peerlaneModule];
  const flags = [
    ...(options.serverV8Flags ? SERVER_V8_FLAGS : []),
    ...(profile && options.profileDir !== null
      ? ['--cpu-prof', `--cpu-prof-dir=${join(options.profileDir, kind)}`]
      : []),
  ];
  const child: ServerProcess = Child.start(
    './server-process.ts',
    args,
    options.pin ? SERVER_CPU : null,
    flags,
  );
  try {
    const { url } = await child.next('ready', START_TIMEOUT_MS);
    return { child, url };
  } catch (error) {
    child.kill();
    throw error;
  }
}

/** Forces GC twice in the server with a pause between, then reads its RSS and heap. */
async function settledMemory(server: ServerProcess, settleMs: number) {
  const { heapUsed } = await server.request({ cmd: 'gc', settleMs }, 'gc-done', settleMs + 30_000);
  return { rss: rssBytes(server.pid), heap: heapUsed };
}

export async function measureMemory(
  kind: ServerKind,
  server: ServerProcess,
  url: string,
  load: LoadGenerator,
  options: BenchOptions,
): Promise<MemoryReading[]> {
  // Warm up first, so code compiled and buffers pooled on first use are not counted per socket.
  const warmup = Math.min(1000, options.sizes[0] ?? 0);
  await load.request(
    { cmd: 'hold', server: kind, url, total: warmup, concurrency: options.openConcurrency },
    'held',
    120_000,
  );
  await load.request({ cmd: 'release' }, 'released', 30_000);
  const base = await settledMemory(server, options.settleMs);
  const readings: MemoryReading[] = [];
  let failure: string | null = null;
  for (const sockets of options.sizes) {
    if (failure !== null) {
      readings.push({ sockets, rss: failure, heap: failure });
      continue;
    }
    const reply = await load.request(
      { cmd: 'hold', server: kind, url, total: sockets, concurrency: options.openConcurrency },
      'held',
      120_000 + sockets * 10,
    );
    if (reply.error !== null) {
      failure = `at ${sockets} idle sockets, ${reply.held} opened, then ${reply.error}`;
      readings.push({ sockets, rss: failure, heap: failure });
      continue;
    }
    const now = await settledMemory(server, options.settleMs);
    readings.push({
      sockets,
      rss: now.rss - base.rss,
      heap: now.heap - base.heap,
    });
    const grown = (now.rss - base.rss) / 2 ** 20;
    log(
      `  ${LABELS[kind]}: ${sockets} idle sockets, RSS ${grown >= 0 ? '+' : ''}${grown.toFixed(1)} MiB`,
    );
  }
  await load.request({ cmd: 'release' }, 'released', 30_000);
  return readings;
}

export async function measureJoins(
  kind: ServerKind,
  url: string,
  load: LoadGenerator,
  options: BenchOptions,
): Promise<JoinResult | string> {
  const reply = await load.request(
    { cmd: 'joins', server: kind, url, count: options.joins, concurrency: options.joinConcurrency },
    'joined',
    60_000 + options.joins * 50,
  );
  if (reply.failed > 0) return `${reply.failed} of the joins failed: ${reply.error}`;
  return { connect: reply.connect, frame: reply.frame, failed: reply.failed };
}

/** Times `speedProbe()` on the servers' core, in ms (see `probe-process.ts`). */
export type SpeedProbe = () => Promise<number>;

/**
 * The signal phase on one server: closed loop for the top rate, then at a fixed rate;
 * the machine's speed is probed before and after each.
 */
export async function measureSignals(
  kind: ServerKind,
  server: ServerProcess,
  url: string,
  load: LoadGenerator,
  options: BenchOptions,
  probe: SpeedProbe,
): Promise<SignalResult | string> {
  const max = await signalRun(kind, server, url, load, options, probe, null);
  if (typeof max === 'string') return max;
  const paced = await signalRun(kind, server, url, load, options, probe, options.rate);
  if (typeof paced === 'string') return `at ${options.rate} signals/s: ${paced}`;
  return { max, paced };
}

async function signalRun(
  kind: ServerKind,
  server: ServerProcess,
  url: string,
  load: LoadGenerator,
  options: BenchOptions,
  probe: SpeedProbe,
  rate: number | null,
): Promise<SignalRun | string> {
  await idle(server.pid);
  const probeBefore = await probe();
  const warmupMs = rate === null ? options.warmupMs : Math.min(options.warmupMs, 1000);
  const durationMs = rate === null ? options.durationMs : options.rateDurationMs;
  load.send({
    cmd: 'signals',
    server: kind,
    url,
    pairs: options.pairs,
    rate,
    window: options.window,
    warmupMs,
    durationMs,
  });
  try {
    // A failed setup answers with an erroring `signaled` instead of `mark`.
    await load.next('mark', 60_000 + options.pairs * 50 + warmupMs);
  } catch (error) {
    return describe(error);
  }
  const startedAt = performance.now();
  const cores = [SERVER_CPU, LOAD_CPU];
  const coresBefore = coreBusyMicros(cores);
  const serverBefore = cpuTimes(server.pid);
  const loadBefore = cpuTimes(load.pid);
  const reply = await load.next('signaled', durationMs + 60_000);
  const wallMicros = (performance.now() - startedAt) * 1000;
  const serverAfter = cpuTimes(server.pid);
  const loadAfter = cpuTimes(load.pid);
  const coresBusy = coreBusyMicros(cores) - coresBefore;
  if (reply.error !== null) return reply.error;
  if (reply.lost > 0) return `${reply.lost} signals never arrived`;
  if (reply.other > 0) return `${reply.other} frames were not signals (errors?)`;
  await idle(server.pid);
  const probeAfter = await probe();
  const serverUser = serverAfter.user - serverBefore.user;
  const serverCpu = serverUser + serverAfter.system - serverBefore.system;
  const loadCpu = loadAfter.user + loadAfter.system - loadBefore.user - loadBefore.system;
  return {
    rate: reply.measured / reply.seconds,
    latency: reply.latency,
    cpuMicrosPerMessage: serverCpu / reply.relayed,
    userMicrosPerMessage: serverUser / reply.relayed,
    serverBusy: serverCpu / wallMicros,
    loadBusy: loadCpu / wallMicros,
    othersBusy: Math.max(0, coresBusy - serverCpu - loadCpu) / (cores.length * wallMicros),
    meanBytes: reply.meanBytes,
    relayed: reply.relayed,
    probeMs: Math.max(probeBefore, probeAfter),
  };
}

/**
 * Waits until process `pid` has used no CPU tick (10 ms) in 100 ms, for at most 3 s: a
 * server still starting up, or still closing a run's sockets, would compete with the
 * speed probe for its core.
 */
async function idle(pid: number): Promise<void> {
  const used = (): number => {
    const { user, system } = cpuTimes(pid);
    return user + system;
  };
  const deadline = performance.now() + 3000;
  let before = used();
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = used();
    if (now === before) return;
    before = now;
  }
}

/** Field-by-field median of the rounds that succeeded; the first failure if none did. */
export function medianOf<T>(rounds: Array<T | string>): T | string {
  const done = rounds.filter((round): round is T => typeof round !== 'string');
  if (done.length === 0) return rounds[0] ?? 'not run';
  return median(done) as T;
}

function median(values: unknown[]): unknown {
  const [first] = values;
  if (typeof first === 'number') {
    const sorted = (values as number[]).slice().sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    return sorted.length % 2 === 1
      ? sorted[middle]
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  }
  if (first === null || typeof first !== 'object') return first;
  return Object.fromEntries(
    Object.keys(first).map((key) => [
      key,
      median(values.map((value) => (value as Record<string, unknown>)[key])),
    ]),
  );
}
