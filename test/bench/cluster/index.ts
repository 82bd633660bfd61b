/**
 * `npm run bench cluster`: Peerlane on two nodes sharing one redis-server against one
 * node with rooms in memory, in the same run (issue 8). Each setup's nodes run in their
 * own processes on CPU 0 with the redis-server, the load generator on CPU 1; the CPU
 * time of each is read from /proc. Prints one table with Redis ÷ memory; numbers are
 * printed, never asserted.
 */
import { availableParallelism } from 'node:os';
import { BENCH_LIMITS } from '../shared/peerlane-limits.js';
import { machine, packageVersion, thisPeerlane, utcMinute } from '../shared/run-info.js';
import { dataTemplate } from '../signaling/payloads.js';
import { describe, LOAD_CPU, log, medianOf, SERVER_CPU } from '../signaling/phases.js';
import { canPin, coreBusyMicros, cpuTimes } from '../signaling/processes.js';
import type { Setup } from './ipc.js';
import { type ClusterOptions, HELP, parseClusterArgs } from './options.js';
import {
  type LoadGenerator,
  measureJoins,
  measureSignals,
  type Nodes,
  startLoadGenerator,
  startNodes,
} from './phases.js';
import { type BenchRedis, startBenchRedis } from './redis-server.js';
import {
  type JoinFigures,
  LABELS,
  renderTable,
  type SetupResults,
  type SignalFigures,
} from './report.js';

/** CPU time (µs) a process has used in its life, or 0 once it is gone. */
function lifetimeCpu(pid: number): number {
  try {
    const { user, system } = cpuTimes(pid);
    return user + system;
  } catch {
    return 0;
  }
}

/**
 * Runs the setups round after round (alternating which goes first, so a busy spell on a
 * shared machine is spread over both), each with fresh nodes: joins, then signals.
 */
class Run {
  readonly joins = new Map<Setup, Array<JoinFigures | string>>();
  readonly signals = new Map<Setup, Array<SignalFigures | string>>();
  /** CPU time of our processes that are gone (µs), for the whole run's others' share. */
  spent = 0;
  #load: LoadGenerator;

  constructor(
    private readonly options: ClusterOptions,
    private readonly redis: BenchRedis | null,
    private readonly cores: number[],
  ) {
    this.#load = startLoadGenerator(options.pin);
  }

  get loadPid(): number {
    return this.#load.pid;
  }

  async round(setup: Setup, label: string): Promise<void> {
    log(`${label}: ${LABELS[setup]}…`);
    const joins = this.joins.get(setup) ?? [];
    const signals = this.signals.get(setup) ?? [];
    this.joins.set(setup, joins);
    this.signals.set(setup, signals);
    let nodes: Nodes;
    try {
      if (setup === 'redis') await this.redis?.flush();
      nodes = await startNodes(setup, this.redis, this.options);
    } catch (error) {
      const reason = `nodes did not start: ${describe(error)}`;
      log(`  ${reason}`);
      joins.push(reason);
      signals.push(reason);
      return;
    }
    const watched = {
      nodes: nodes.pids,
      redis: setup === 'redis' ? this.redis : null,
      load: this.#load.pid,
      cores: this.cores,
    };
    try {
      const join = await this.#phase(() => measureJoins(nodes, this.#load, watched, this.options));
      joins.push(join);
      log(
        typeof join === 'string'
          ? `  joins failed: ${join}`
          : `  join frame→welcome p50 ${join.frame.p50.toFixed(3)} ms, p99 ${join.frame.p99.toFixed(3)} ms`,
      );
      watched.load = this.#load.pid;
      const signal = await this.#phase(() =>
        measureSignals(nodes, this.#load, watched, this.options),
      );
      signals.push(signal);
      log(
        typeof signal === 'string'
          ? `  signals failed: ${signal}`
          : `  ${Math.round(signal.rate)} signals/s; ${(signal.nodeCpu + (signal.redisCpu ?? 0)).toFixed(1)} µs CPU each`,
      );
    } finally {
      this.spent += await nodes.stop();
    }
  }

  /** Runs a phase; one that throws leaves the load generator mid-command, so it is replaced. */
  async #phase<T>(run: () => Promise<T | string>): Promise<T | string> {
    try {
      return await run();
    } catch (error) {
      this.spent += lifetimeCpu(this.#load.pid);
      this.#load.kill();
      await this.#load.stop();
      this.#load = startLoadGenerator(this.options.pin);
      return describe(error);
    }
  }

  async close(): Promise<void> {
    this.spent += lifetimeCpu(this.#load.pid);
    this.#load.send({ cmd: 'exit' });
    await this.#load.stop();
  }

  kill(): void {
    this.#load.kill();
  }
}

function header(
  options: ClusterOptions,
  redis: BenchRedis | null,
  results: Partial<Record<Setup, SetupResults>>,
  othersShare: number,
): string[] {
  const signal = results.redis?.signal ?? results.memory?.signal;
  const mean =
    signal !== undefined && typeof signal !== 'string'
      ? `; mean frame ${Math.round(signal.meanBytes)} B`
      : '';
  const cores = options.pin ? 'CPUs 0–1' : 'all CPUs';
  return [
    `Peerlane cluster benchmark, ${utcMinute()}`,
    machine(),
    `redis-server ${redis?.version ?? '(not run)'} (no persistence), ioredis ${packageVersion('ioredis')}, ` +
      `ws ${packageVersion('ws')}`,
    thisPeerlane(),
    '(a) memory: one node, rooms in memory',
    '(b) Redis: two nodes sharing one redis-server; every pair split, peer A on node 1 and B on',
    '  node 2, so each signal crosses nodes (node → PUBLISH → redis-server → node)',
    options.pin
      ? `pinned with taskset: CPU ${SERVER_CPU} = every server process (the node; or both nodes and ` +
        'redis-server,\n  all its threads), so the server side has one core in both setups; ' +
        `CPU ${LOAD_CPU} = the load generator`
      : 'processes NOT pinned to cores',
    'loopback only; limits raised so they are not what is measured (every client is 127.0.0.1):',
    `  ${Object.keys(BENCH_LIMITS).join(', ')} = 1e6`,
    '  (defaults 100/s, 300, 100, 5/s, 20)',
    `signals: ${options.pairs} pairs, closed loop, ${options.window} in flight per pair, each answered ` +
      'on arrival; 1 in 5',
    `  an offer/answer (${dataTemplate('offer').length} B of data), the rest candidates ` +
      `(${dataTemplate('candidate').length} B)${mean};`,
    `  ${options.warmupMs / 1000} s warm-up, ${options.durationMs / 1000} s measured`,
    '  CPU = utime + stime from /proc/<pid>/stat over the measured window ÷ signals relayed;',
    '  nodes summed, redis-server apart; commands from redis INFO total_commands_processed',
    `joins: ${options.joins} per round after warm-up ones, ${options.joinConcurrency} at a time, each into ` +
      'a fresh room whose',
    '  one member joined first on node 2 (in (a): the same node); the joiner on node 1, on a',
    '  fresh socket; its welcome must list the member. join frame→welcome on the open socket;',
    "  member hears = join frame → the member's peer-joined. Both then leave (close 1000);",
    "  a join cycle = the member's join, the join, presence, both leaves",
    `median of ${options.rounds} round(s), setups alternating; other processes' share of ${cores}`,
    `  over the whole run: ${Math.round(othersShare * 100)}%`,
  ];
}

/** Runs the benchmark with command-line `argv`; resolves with the exit code. */
export async function runClusterBenchmark(argv: readonly string[]): Promise<number> {
  let options: ClusterOptions | null;
  try {
    options = parseClusterArgs(argv);
  } catch (error) {
    log(`bench cluster: ${describe(error)}`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(HELP);
    return 0;
  }
  if (options.pin && !canPin()) {
    log('bench cluster: cannot pin to CPUs 0 and 1 (no taskset or fewer cores); running unpinned');
    options.pin = false;
  }
  const opts = options;
  log(
    `limits raised for the benchmark (every client is 127.0.0.1): ${Object.keys(BENCH_LIMITS).join(', ')} = 1e6`,
  );
  let redis: BenchRedis | null = null;
  if (opts.setups.includes('redis')) {
    try {
      redis = await startBenchRedis(opts.pin ? SERVER_CPU : null);
    } catch (error) {
      log(`bench cluster: ${describe(error)}`);
      return 1;
    }
    log(`redis-server ${redis.version} at ${redis.url}, pid ${redis.pid}`);
  }
  const cores = opts.pin
    ? [SERVER_CPU, LOAD_CPU]
    : Array.from({ length: availableParallelism() }, (_, cpu) => cpu);
  const busyBefore = coreBusyMicros(cores);
  const wallBefore = performance.now();
  const redisBefore = redis ? lifetimeCpu(redis.pid) : 0;
  const ownBefore = process.cpuUsage();
  const run = new Run(opts, redis, cores);
  const kill = (): void => run.kill();
  process.once('exit', kill);
  let othersShare: number;
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      const order = round % 2 === 1 ? opts.setups : [...opts.setups].reverse();
      for (const setup of order) await run.round(setup, `round ${round}/${opts.rounds}`);
    }
  } finally {
    await run.close();
    process.off('exit', kill);
    const own = process.cpuUsage(ownBefore);
    const ours =
      run.spent + (redis ? lifetimeCpu(redis.pid) - redisBefore : 0) + own.user + own.system;
    const wall = (performance.now() - wallBefore) * 1000;
    othersShare = Math.max(0, coreBusyMicros(cores) - busyBefore - ours) / (cores.length * wall);
    await redis?.stop();
  }
  const results: Partial<Record<Setup, SetupResults>> = {};
  for (const setup of opts.setups) {
    results[setup] = {
      join: medianOf(run.joins.get(setup) ?? []),
      signal: medianOf(run.signals.get(setup) ?? []),
    };
  }
  process.stdout.write(
    `${header(opts, redis, results, othersShare).join('\n')}\n\n${renderTable(results, opts.setups)}\n`,
  );
  return 0;
}
