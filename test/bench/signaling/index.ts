/**
 * The signaling benchmark's orchestrator: starts each server under test in its own
 * process (CPU 0) and one load generator (CPU 1), runs the memory, join and signal
 * phases against each server in turn, reads the server's CPU time and RSS from /proc,
 * and prints one table. Numbers are printed, never asserted.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, release } from 'node:os';
import type { FromLoad, FromServer, ServerKind, ToLoad, ToServer } from './ipc.js';
import { type BenchOptions, HELP, parseBenchArgs } from './options.js';
import { dataTemplate } from './payloads.js';
import { Child, canPin, cpuTimes, rssBytes } from './processes.js';
import {
  type JoinResult,
  LABELS,
  type MemoryReading,
  renderTable,
  type ServerResults,
  type SignalResult,
} from './report.js';

type LoadGenerator = Child<ToLoad, FromLoad>;
type ServerProcess = Child<ToServer, FromServer>;

const SERVER_CPU = 0;
const LOAD_CPU = 1;
const START_TIMEOUT_MS = 20_000;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

async function startServer(kind: ServerKind, pin: boolean) {
  const child: ServerProcess = Child.start('./server-process.ts', [kind], pin ? SERVER_CPU : null);
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

async function measureMemory(
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
      readings.push({ sockets, rssPerSocket: failure, heapPerSocket: failure });
      continue;
    }
    const reply = await load.request(
      { cmd: 'hold', server: kind, url, total: sockets, concurrency: options.openConcurrency },
      'held',
      120_000 + sockets * 10,
    );
    if (reply.error !== null) {
      failure = `at ${sockets} idle sockets, ${reply.held} opened, then ${reply.error}`;
      readings.push({ sockets, rssPerSocket: failure, heapPerSocket: failure });
      continue;
    }
    const now = await settledMemory(server, options.settleMs);
    readings.push({
      sockets,
      rssPerSocket: (now.rss - base.rss) / sockets,
      heapPerSocket: (now.heap - base.heap) / sockets,
    });
    log(
      `  ${LABELS[kind]}: ${sockets} idle sockets, RSS +${((now.rss - base.rss) / 2 ** 20).toFixed(1)} MiB`,
    );
  }
  await load.request({ cmd: 'release' }, 'released', 30_000);
  return readings;
}

async function measureJoins(
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

async function measureSignals(
  kind: ServerKind,
  server: ServerProcess,
  url: string,
  load: LoadGenerator,
  options: BenchOptions,
): Promise<SignalResult | string> {
  load.send({
    cmd: 'signals',
    server: kind,
    url,
    pairs: options.pairs,
    window: options.window,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
  });
  try {
    // A failed setup answers with an erroring `signaled` instead of `mark`.
    await load.next('mark', 60_000 + options.pairs * 50 + options.warmupMs);
  } catch (error) {
    return describe(error);
  }
  const startedAt = performance.now();
  const serverBefore = cpuTimes(server.pid);
  const loadBefore = cpuTimes(load.pid);
  const reply = await load.next('signaled', options.durationMs + 60_000);
  const wallMicros = (performance.now() - startedAt) * 1000;
  const serverAfter = cpuTimes(server.pid);
  const loadAfter = cpuTimes(load.pid);
  if (reply.error !== null) return reply.error;
  if (reply.lost > 0) return `${reply.lost} signals never arrived`;
  if (reply.other > 0) return `${reply.other} frames were not signals (errors?)`;
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
    meanBytes: reply.meanBytes,
    relayed: reply.relayed,
  };
}

/** The load generator, replaced by a fresh one when a phase leaves it in an unknown state. */
class LoadSlot {
  #current: LoadGenerator;
  constructor(private readonly pin: boolean) {
    this.#current = this.#start();
  }
  get current(): LoadGenerator {
    return this.#current;
  }
  #start(): LoadGenerator {
    return Child.start('./load-generator.ts', [], this.pin ? LOAD_CPU : null);
  }
  async replace(): Promise<void> {
    this.#current.kill();
    await this.#current.stop();
    this.#current = this.#start();
  }
  async close(): Promise<void> {
    this.#current.send({ cmd: 'exit' });
    await this.#current.stop();
  }
}

/**
 * Starts a fresh server, runs one phase against it, stops it. A failure becomes its reason;
 * one that leaves the load generator mid-command (a timeout) also replaces the generator.
 */
async function phase<T>(
  kind: ServerKind,
  options: BenchOptions,
  load: LoadSlot,
  run: (server: ServerProcess, url: string, load: LoadGenerator) => Promise<T | string>,
): Promise<T | string> {
  let started: { child: ServerProcess; url: string };
  try {
    started = await startServer(kind, options.pin);
  } catch (error) {
    return `server did not start: ${describe(error)}`;
  }
  try {
    return await run(started.child, started.url, load.current);
  } catch (error) {
    await load.replace();
    return describe(error);
  } finally {
    started.child.send({ cmd: 'stop' });
    await started.child.stop();
  }
}

function versionOf(name: string): string {
  try {
    const manifest = new URL(`../../../node_modules/${name}/package.json`, import.meta.url);
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : '?';
  } catch {
    return '?';
  }
}

function describeRun(options: BenchOptions, meanBytes: number | null): string[] {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
  const sdp = dataTemplate('offer').length;
  const candidate = dataTemplate('candidate').length;
  return [
    `Peerlane signaling benchmark, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `node ${process.version}, ${cpu ?? 'unknown CPU'} × ${availableParallelism()}, Linux ${release()}; ` +
      `ws ${versionOf('ws')}, peer ${versionOf('peer')}, zod ${versionOf('zod')}`,
    options.pin
      ? `each server alone in a process on CPU ${SERVER_CPU}, load generator on CPU ${LOAD_CPU} (taskset); loopback`
      : 'processes NOT pinned to cores; loopback',
    'limits raised so the limiters are not what is measured: Peerlane rateLimit/rateBurst, ' +
      'maxConnectionsPerIp, joinRateLimit/joinRateBurst all 1e6 (defaults 100/s, 300, 100, 5/s, 20); ' +
      'PeerServer concurrent_limit 1e6 (default 5000), alive_timeout 1 h (default 90 s)',
    `memory: (VmRSS with N joined idle sockets − VmRSS with none) / N, after gc() twice ` +
      `${options.settleMs} ms apart; the baseline is read after opening and closing ` +
      `min(1000, N₁) sockets; Peerlane sockets in rooms of 10`,
    `signals: ${options.pairs} pairs, ${options.window} in flight per pair, each received signal ` +
      `answered; 1 in 5 is an offer/answer (${sdp} B of data), the rest candidates (${candidate} B)` +
      `${meanBytes === null ? '' : `, mean frame ${Math.round(meanBytes)} B`}; ` +
      `${options.warmupMs / 1000} s warm-up, ${options.durationMs / 1000} s measured; ` +
      'server CPU = utime+stime from /proc/<pid>/stat',
    `joins: ${options.joins} (after warm-up ones), ${options.joinConcurrency} at a time, each on a fresh ` +
      'socket; connect→welcome = socket opening → welcome (OPEN for PeerServer, whose join is ' +
      'the connect); join frame→welcome = on the open socket',
  ];
}

/** Runs the benchmark with command-line `argv`; resolves with the exit code. */
export async function runSignalingBenchmark(argv: readonly string[]): Promise<number> {
  let options: BenchOptions | null;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    log(`bench signaling: ${describe(error)}`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(HELP);
    return 0;
  }
  if (options.pin && !canPin()) {
    log(
      'bench signaling: cannot pin to CPUs 0 and 1 (no taskset or fewer cores); running unpinned',
    );
    options.pin = false;
  }
  const opts = options;
  const load = new LoadSlot(opts.pin);
  const kill = (): void => load.current.kill();
  process.once('exit', kill);
  const results: Partial<Record<ServerKind, ServerResults>> = {};
  for (const kind of opts.servers) results[kind] = { memory: '', join: '', signal: '' };
  const each = async (
    name: string,
    work: (kind: ServerKind, result: ServerResults) => Promise<void>,
  ) => {
    for (const kind of opts.servers) {
      log(`${name}: ${LABELS[kind]}…`);
      const result = results[kind];
      if (result) await work(kind, result);
    }
  };
  try {
    // One phase at a time across servers, so a slow spell on a shared machine hits all alike.
    await each('memory', async (kind, result) => {
      result.memory = await phase(kind, opts, load, (server, url, generator) =>
        measureMemory(kind, server, url, generator, opts),
      );
    });
    await each('joins', async (kind, result) => {
      result.join = await phase(kind, opts, load, (_server, url, generator) =>
        measureJoins(kind, url, generator, opts),
      );
    });
    await each('signals', async (kind, result) => {
      result.signal = await phase(kind, opts, load, (server, url, generator) =>
        measureSignals(kind, server, url, generator, opts),
      );
    });
  } finally {
    await load.close();
    process.off('exit', kill);
  }
  const signal = results.peerlane?.signal ?? results.bare?.signal;
  const meanBytes = signal !== undefined && typeof signal !== 'string' ? signal.meanBytes : null;
  process.stdout.write(
    `${describeRun(opts, meanBytes).join('\n')}\n\n${renderTable(results, opts.servers, opts.sizes)}\n`,
  );
  return 0;
}
