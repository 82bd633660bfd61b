import { resolve } from 'node:path';
import { SETUPS, type Setup } from './ipc.js';

/** What one cluster benchmark run does. Every field has a flag; see {@link HELP}. */
export interface ClusterOptions {
  setups: Setup[];
  /** Measured joins per round (a fifth more, at most 200, run first as warm-up). */
  joins: number;
  joinConcurrency: number;
  pairs: number;
  /** Signals each pair keeps in flight. */
  window: number;
  warmupMs: number;
  durationMs: number;
  /** Rounds; each figure is the median over them. Setups alternate within and across rounds. */
  rounds: number;
  pin: boolean;
  /** Folder for V8 CPU profiles of the nodes (their whole life); null for none. */
  profileDir: string | null;
}

const FULL: ClusterOptions = {
  setups: [...SETUPS],
  joins: 400,
  joinConcurrency: 1,
  pairs: 500,
  window: 1,
  warmupMs: 3000,
  durationMs: 8000,
  rounds: 3,
  pin: true,
  profileDir: null,
};

const QUICK: Partial<ClusterOptions> = {
  joins: 100,
  pairs: 50,
  warmupMs: 500,
  durationMs: 2000,
  rounds: 1,
};

export const HELP = `Usage: npm run bench cluster -- [flags]

Peerlane on two nodes sharing a redis-server (every pair split across the nodes) against
one node with rooms in memory: signals/s and latency (closed loop), join → welcome
latency into rooms whose member is on the other node, CPU per signal of the nodes and of
redis-server. Every server process on CPU 0, the load generator on CPU 1.

  --quick                  smoke run (under ~45 s): small counts, one short round
  --setups=a,b             any of ${SETUPS.join(', ')} (default both)
  --joins=N                measured joins per round (default ${FULL.joins})
  --join-concurrency=N     joins in progress at once (default ${FULL.joinConcurrency})
  --pairs=N                signaling pairs (default ${FULL.pairs})
  --window=N               signals in flight per pair (default ${FULL.window})
  --warmup=S               seconds of signaling before measuring (default ${FULL.warmupMs / 1000})
  --duration=S             seconds of measured signaling (default ${FULL.durationMs / 1000})
  --rounds=N               rounds, median reported (default ${FULL.rounds})
  --cpu-prof=DIR           V8 CPU profiles of the nodes, in DIR/<setup>-<node>/
  --no-pin                 do not pin processes to cores
`;

/** Parses flags; throws an Error naming the bad flag. Returns null for --help. */
export function parseClusterArgs(argv: readonly string[]): ClusterOptions | null {
  const options: ClusterOptions = { ...FULL };
  if (argv.includes('--quick')) Object.assign(options, QUICK);
  for (const arg of argv) {
    const [flag = '', value = ''] = arg.split('=', 2);
    const int = (min: number, max: number): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) {
        throw new Error(`${flag} needs an integer from ${min} to ${max} (got "${value}")`);
      }
      return n;
    };
    const seconds = (): number => {
      const n = Number(value);
      if (!(n > 0 && n <= 60)) throw new Error(`${flag} needs seconds in (0, 60] (got "${value}")`);
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
      case '--setups':
        options.setups = value.split(',').map((name) => {
          const setup = SETUPS.find((s) => s === name);
          if (!setup) throw new Error(`--setups: unknown setup "${name}"`);
          return setup;
        });
        break;
      case '--joins':
        options.joins = int(1, 10_000);
        break;
      case '--join-concurrency':
        options.joinConcurrency = int(1, 100);
        break;
      case '--pairs':
        // The load generator (and the single node) hold both sockets of every pair: under 20000 files.
        options.pairs = int(1, 9000);
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
      case '--rounds':
        options.rounds = int(1, 10);
        break;
      case '--cpu-prof':
        if (!value) throw new Error('--cpu-prof needs a folder');
        options.profileDir = resolve(value);
        break;
      default:
        throw new Error(`unknown flag "${arg}"; see --help`);
    }
  }
  return options;
}
