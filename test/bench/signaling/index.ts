/**
 * The signaling benchmark's orchestrator: starts each server under test in its own
 * process (CPU 0) and one load generator (CPU 1), runs the memory, join and signal
 * phases against each server in turn, reads the server's CPU time and RSS from /proc,
 * and prints one table. Numbers are printed, never asserted.
 */
import { SERVER_V8_FLAGS } from '../../../signaling/v8-flags.js';
import { machine, packageVersion, thisPeerlane, utcMinute } from '../shared/run-info.js';
import type { FromProbe, ToProbe } from './ipc.js';
import type { ServerKind } from './kinds.js';
import { type BenchOptions, HELP, parseBenchArgs } from './options.js';
import { dataTemplate } from './payloads.js';
import {
  describe,
  LOAD_CPU,
  type LoadGenerator,
  log,
  measureJoins,
  measureMemory,
  measureSignals,
  medianOf,
  SERVER_CPU,
  type ServerProcess,
  type SpeedProbe,
  startServer,
} from './phases.js';
import { Child, canPin } from './processes.js';
import {
  type JoinResult,
  LABELS,
  renderTable,
  type ServerResults,
  type SignalResult,
} from './report.js';
import { roundRatioLines } from './round-ratios.js';

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
  profile = false,
): Promise<T | string> {
  let started: { child: ServerProcess; url: string };
  try {
    started = await startServer(kind, options, profile);
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

/** A signal round whose speed probe read over this much of the run's fastest ran slow. */
const SLOW_PROBE = 1.15;

/** The slower of a signal round's speed probes (ms). */
function probeOf(round: SignalResult): number {
  return Math.max(round.max.probeMs, round.paced.probeMs);
}

/**
 * Which signal rounds count: those whose speed probe read at most {@link SLOW_PROBE} times
 * the fastest probe of the whole run (a failed round counts, so its reason is kept).
 */
function atFullSpeed(
  signals: Map<ServerKind, Array<SignalResult | string>>,
): (round: SignalResult | string) => boolean {
  const probes = [...signals.values()]
    .flat()
    .flatMap((round) => (typeof round === 'string' ? [] : [probeOf(round)]));
  const fastest = Math.min(...probes);
  return (round) => typeof round === 'string' || probeOf(round) <= fastest * SLOW_PROBE;
}

/** Which Peerlane was measured, so a pasted table says what code it describes. */
function whichPeerlane(options: BenchOptions): string {
  return options.peerlaneModule === null
    ? thisPeerlane()
    : `Peerlane from ${options.peerlaneModule}`;
}

function describeRun(options: BenchOptions, meanBytes: number | null): string[] {
  const sdp = dataTemplate('offer').length;
  const candidate = dataTemplate('candidate').length;
  const mean = meanBytes === null ? '' : `; mean frame ${Math.round(meanBytes)} B`;
  return [
    `Peerlane signaling benchmark, ${utcMinute()}`,
    machine(),
    `ws ${packageVersion('ws')}, peer ${packageVersion('peer')}, zod ${packageVersion('zod')}; ${whichPeerlane(options)}`,
    options.pin
      ? `server alone in a process on CPU ${SERVER_CPU}, load generator on CPU ${LOAD_CPU} (taskset); loopback`
      : 'processes NOT pinned to cores; loopback',
    options.serverV8Flags
      ? `every server with the V8 flags the peerlane process sets for itself: ${SERVER_V8_FLAGS.join(' ')}`
      : "every server with Node's default V8 flags (--no-server-v8-flags)",
    'limits raised so they are not what is measured: Peerlane rateLimit, rateBurst,',
    '  maxConnectionsPerIp, maxRoomsPerIp, joinRateLimit, joinRateBurst = 1e6',
    '  (defaults 100/s, 300, 100, 20, 5/s, 20);',
    '  PeerServer concurrent_limit 1e6 (default 5000), alive_timeout 1 h (default 90 s)',
    `memory: (VmRSS with N joined idle sockets − VmRSS with none) / N, gc() twice ${options.settleMs} ms`,
    '  apart before each reading; baseline after opening and closing min(1000, N₁) sockets;',
    '  Peerlane sockets in rooms of 10; small N is noisy, the marginal row is steadier',
    `signals: ${options.pairs} pairs; 1 in 5 an offer/answer (${sdp} B of data), the rest candidates ` +
      `(${candidate} B)${mean}`,
    `  max: closed loop, ${options.window} in flight per pair, each signal answered on arrival; ` +
      `${options.warmupMs / 1000} s warm-up, ${options.durationMs / 1000} s measured`,
    `  @${options.rate.toLocaleString('en-US')}/s: the same offered load for every server, ` +
      `${options.rateDurationMs / 1000} s measured`,
    '  server CPU = utime + stime of its process, /proc/<pid>/stat, over the measured window',
    '  speed probe = the same fixed work (JSON of 1,000 SDP frames, SHA-256 of 8 MiB), the',
    "  fastest of 3 in an idle process on the servers' core, before each run and after it once",
    '  the server is idle again, the slower of the two; this VM has slow spells: a signal round',
    `  whose probe read over ${SLOW_PROBE}× the run's fastest is left out of the medians (unless`,
    '  every round of that server was), and "signal rounds at full speed" counts those kept',
    `joins: ${options.joins} after warm-up ones, ${options.joinConcurrency} at a time, each on a fresh socket;`,
    '  connect→welcome = opening the socket → welcome (OPEN for PeerServer, whose join is the',
    '  connect); join frame→welcome = on an already open socket',
    `joins and signals: median of ${options.rounds} round(s), the servers taking turns`,
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
  const prober = Child.start<ToProbe, FromProbe>(
    './probe-process.ts',
    [],
    opts.pin ? SERVER_CPU : null,
  );
  // The least of three: the first after a pause pays for memory the process gave back
  // meanwhile; a slow spell slows all three.
  const probe: SpeedProbe = async () => {
    let least = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      least = Math.min(least, (await prober.request({ cmd: 'probe' }, 'probe-done', 30_000)).ms);
    }
    return least;
  };
  const kill = (): void => {
    load.current.kill();
    prober.kill();
  };
  process.once('exit', kill);
  const results: Partial<Record<ServerKind, ServerResults>> = {};
  const joins = new Map<ServerKind, Array<JoinResult | string>>();
  const signals = new Map<ServerKind, Array<SignalResult | string>>();
  for (const kind of opts.servers) {
    results[kind] = { memory: 'not run', join: 'not run', signal: 'not run' };
    joins.set(kind, []);
    signals.set(kind, []);
  }
  try {
    // One phase at a time, servers taking turns within each round, so that a busy spell on
    // a shared machine is spread over all of them rather than landing on one.
    for (const kind of opts.servers) {
      log(`memory: ${LABELS[kind]}…`);
      const memory = await phase(kind, opts, load, (server, url, generator) =>
        measureMemory(kind, server, url, generator, opts),
      );
      Object.assign(results[kind] ?? {}, { memory });
    }
    for (let round = 1; round <= opts.rounds; round++) {
      for (const kind of opts.servers) {
        log(`joins, round ${round}/${opts.rounds}: ${LABELS[kind]}…`);
        const result = await phase(kind, opts, load, (_server, url, generator) =>
          measureJoins(kind, url, generator, opts),
        );
        if (typeof result === 'string') log(`  failed: ${result}`);
        joins.get(kind)?.push(result);
      }
    }
    // Warm (compiled, its heap grown) before it counts.
    for (let i = 0; i < 3; i++) await probe();
    for (let round = 1; round <= opts.rounds; round++) {
      for (const kind of opts.servers) {
        log(`signals, round ${round}/${opts.rounds}: ${LABELS[kind]}…`);
        const result = await phase(
          kind,
          opts,
          load,
          (server, url, generator) => measureSignals(kind, server, url, generator, opts, probe),
          true,
        );
        log(
          typeof result === 'string'
            ? `  failed: ${result}`
            : `  max ${Math.round(result.max.rate)} signals/s at ${result.max.cpuMicrosPerMessage.toFixed(1)} µs CPU each; ` +
                `${result.paced.cpuMicrosPerMessage.toFixed(1)} µs each at ${Math.round(result.paced.rate)}/s; ` +
                `speed probe ${probeOf(result).toFixed(1)} ms`,
        );
        signals.get(kind)?.push(result);
      }
    }
    const fullSpeed = atFullSpeed(signals);
    for (const kind of opts.servers) {
      const rounds = signals.get(kind) ?? [];
      const kept = rounds.filter(fullSpeed);
      const counted = kept.some((round) => typeof round !== 'string') ? kept : rounds;
      Object.assign(results[kind] ?? {}, {
        join: medianOf(joins.get(kind) ?? []),
        signal: medianOf(counted),
        signalRounds: counted.filter((round) => typeof round !== 'string').length,
      });
    }
  } finally {
    await load.close();
    prober.send({ cmd: 'exit' });
    await prober.stop();
    process.off('exit', kill);
  }
  const signal = results.peerlane?.signal ?? results.bare?.signal;
  const meanBytes =
    signal !== undefined && typeof signal !== 'string' ? signal.max.meanBytes : null;
  const perRound = roundRatioLines(signals, opts.servers, opts.rate);
  process.stdout.write(
    `${describeRun(opts, meanBytes).join('\n')}\n\n${renderTable(results, opts.servers, opts.sizes, opts.rate)}\n` +
      (perRound.length > 0 ? `\n${perRound.join('\n')}\n` : ''),
  );
  return 0;
}
