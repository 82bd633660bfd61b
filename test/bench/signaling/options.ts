import { resolve } from 'node:path';
import { SERVER_V8_FLAGS } from '../../../signaling/v8-flags.js';
import type { ServerKind } from './kinds.js';
import { SERVER_KINDS } from './kinds.js';

/** What one benchmark run does. Every field has a flag; see {@link HELP}. */
export interface BenchOptions {
  servers: ServerKind[];
  /** Idle socket counts at which memory is read, ascending. */
  sizes: number[];
  /** Measured joins (a fifth more, at most 200, run first as warm-up). */
  joins: number;
  joinConcurrency: number;
  pairs: number;
  /** Signals each pair keeps in flight. */
  window: number;
  warmupMs: number;
  durationMs: number;
  /** Signals per second in all for the fixed-rate run, the same for every server. */
  rate: number;
  rateDurationMs: number;
  /** Pause between the two forced GCs before each memory reading. */
  settleMs: number;
  /** Sockets opened at once while filling up for the memory readings. */
  openConcurrency: number;
  pin: boolean;
  /** Run every server with the V8 flags the `peerlane` process sets for itself (`SERVER_V8_FLAGS`). */
  serverV8Flags: boolean;
  /** Path of another Peerlane's `signaling/server.ts` to run instead of this checkout's. */
  peerlaneModule: string | null;
  /** Folder for V8 CPU profiles of the servers during the signal phase; null for none. */
  profileDir: string | null;
  /** Rounds of the join and signal phases; each figure is the median over rounds. */
  rounds: number;
}

/** This sandbox caps open files at 20000; each process must stay under it. */
export const MAX_SOCKETS = 19_500;

const FULL: BenchOptions = {
  servers: [...SERVER_KINDS],
  sizes: [1000, 5000, 10_000, 19_000],
  joins: 1000,
  joinConcurrency: 1,
  pairs: 500,
  window: 1,
  warmupMs: 3000,
  durationMs: 10_000,
  rate: 5000,
  rateDurationMs: 5000,
  settleMs: 1000,
  openConcurrency: 100,
  pin: true,
  serverV8Flags: true,
  peerlaneModule: null,
  profileDir: null,
  rounds: 3,
};

const QUICK: Partial<BenchOptions> = {
  sizes: [1000],
  joins: 100,
  pairs: 50,
  warmupMs: 500,
  durationMs: 1500,
  rate: 2000,
  rateDurationMs: 1500,
  settleMs: 200,
  rounds: 1,
};

export const HELP = `Usage: npm run bench signaling -- [flags]

Peerlane vs a bare ws relay vs PeerServer: idle memory, signal throughput, latency,
server CPU per message, join latency. Servers run on CPU 0, the load generator on CPU 1.

  --quick                  smoke run (well under a minute): small counts, short runs
  --servers=a,b            any of ${SERVER_KINDS.join(', ')} (default: all; bare is the baseline)
  --sizes=1000,5000,…      idle socket counts for memory (default ${FULL.sizes.join(',')}; max ${MAX_SOCKETS})
  --joins=N                measured joins (default ${FULL.joins})
  --join-concurrency=N     joins in progress at once (default ${FULL.joinConcurrency})
  --pairs=N                signaling pairs (default ${FULL.pairs})
  --window=N               signals in flight per pair (default ${FULL.window})
  --warmup=S               seconds of signaling before measuring (default ${FULL.warmupMs / 1000})
  --duration=S             seconds of measured signaling (default ${FULL.durationMs / 1000})
  --rate=N                 signals/s in all for the fixed-rate run (default ${FULL.rate})
  --rate-duration=S        seconds measured at that rate (default ${FULL.rateDurationMs / 1000})
  --settle=MS              pause between forced GCs before a memory reading (default ${FULL.settleMs})
  --open-concurrency=N     sockets opened at once for memory (default ${FULL.openConcurrency})
  --rounds=N               rounds of joins and signals, median reported (default ${FULL.rounds})
  --peerlane=PATH          run another Peerlane's signaling/server.ts (e.g. a git worktree)
  --cpu-prof=DIR           V8 CPU profiles of the servers during signals, in DIR/<server>/
  --no-pin                 do not pin processes to cores
  --no-server-v8-flags     run the servers with Node's default V8 flags, not the ones the
                           peerlane process sets for itself (${SERVER_V8_FLAGS.join(' ')})
`;

/** Parses flags; throws an Error naming the bad flag. Returns null for --help. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | null {
  const options: BenchOptions = { ...FULL };
  if (argv.includes('--quick')) Object.assign(options, QUICK);
  for (const arg of argv) {
    const [flag = '', value = ''] = arg.split('=', 2);
    const int = (min: number, max = Number.MAX_SAFE_INTEGER): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) {
        throw new Error(`${flag} needs an integer from ${min} to ${max} (got "${value}")`);
      }
      return n;
    };
    const seconds = (): number => {
      const n = Number(value);
      if (!(n > 0 && n <= 600))
        throw new Error(`${flag} needs seconds in (0, 600] (got "${value}")`);
      return Math.round(n * 1000);
    };
    switch (flag) {
      case '--help':
      case '-h':
        return null;
      case '--quick':
        break;
      case '--no-pin':
        options.pin = false;
        break;
      case '--no-server-v8-flags':
        options.serverV8Flags = false;
        break;
      case '--servers':
        options.servers = value.split(',').map((name) => {
          if (!(SERVER_KINDS as readonly string[]).includes(name)) {
            throw new Error(`--servers: unknown server "${name}"`);
          }
          return name as ServerKind;
        });
        break;
      case '--sizes':
        options.sizes = value
          .split(',')
          .map((size) => {
            const n = Number(size);
            if (!Number.isInteger(n) || n < 1 || n > MAX_SOCKETS) {
              throw new Error(`--sizes: each must be an integer from 1 to ${MAX_SOCKETS}`);
            }
            return n;
          })
          .sort((a, b) => a - b);
        break;
      case '--joins':
        options.joins = int(1, 100_000);
        break;
      case '--join-concurrency':
        options.joinConcurrency = int(1, 1000);
        break;
      case '--pairs':
        options.pairs = int(1, Math.floor(MAX_SOCKETS / 2));
        break;
      case '--window':
        options.window = int(1, 100);
        break;
      case '--warmup':
        options.warmupMs = seconds();
        break;
      case '--duration':
        options.durationMs = seconds();
        break;
      case '--rate':
        options.rate = int(1, 1_000_000);
        break;
      case '--rate-duration':
        options.rateDurationMs = seconds();
        break;
      case '--settle':
        options.settleMs = int(0, 60_000);
        break;
      case '--peerlane':
        if (!value) throw new Error('--peerlane needs the path of a signaling/server.ts');
        options.peerlaneModule = resolve(value);
        break;
      case '--cpu-prof':
        if (!value) throw new Error('--cpu-prof needs a folder');
        options.profileDir = resolve(value);
        break;
      case '--rounds':
        options.rounds = int(1, 20);
        break;
      case '--open-concurrency':
        options.openConcurrency = int(1, 1000);
        break;
      default:
        throw new Error(`unknown flag "${arg}"; see --help`);
    }
  }
  return options;
}
