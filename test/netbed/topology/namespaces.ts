/**
 * Network namespaces of one test bed: unique names per run, and removal on every way out —
 * `remove()`, the process's `exit`, SIGINT/SIGTERM, and (for a run that was SIGKILLed) a
 * sweep of beds whose creating process is gone before a new bed is built.
 */
import { randomBytes } from 'node:crypto';
import { run, runSync } from './shell.js';

/** Every bed's namespace name starts with this, then `<pid>-<random>-<role>`. */
export const NAMESPACE_PREFIX = 'plnb-';
/** How long removal waits for a namespace's processes to die, in ms. */
const KILL_WAIT_MS = 3000;

/** Namespaces created by this process and not removed yet. */
const live = new Set<string>();
let hooked = false;

/** A fresh name stem for one bed: `plnb-<pid>-<6 hex>`. */
export function bedStem(): string {
  return `${NAMESPACE_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Creates namespace `name` with `lo` up; it is removed at exit if `removeNamespaces` was not called. */
export async function addNamespace(name: string): Promise<void> {
  hookExit();
  await run('ip', ['netns', 'add', name]);
  live.add(name);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Kills every process in the namespaces, then deletes them (veths go with them). Never throws. */
export function removeNamespaces(names: Iterable<string>): void {
  const list = [...names];
  for (const name of list) killAll(name);
  for (const name of list) {
    try {
      runSync('ip', ['netns', 'del', name]);
    } catch {
      // Already gone.
    }
    live.delete(name);
  }
}

/**
 * Removes namespaces of earlier beds whose process no longer exists (a run killed with
 * SIGKILL cannot clean up after itself). Beds of live processes are left alone.
 */
export async function sweepStaleNamespaces(): Promise<string[]> {
  const listed = await run('ip', ['netns', 'list']);
  const stale = listed
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => {
      const pid = Number(new RegExp(`^${NAMESPACE_PREFIX}(\\d+)-`).exec(name)?.[1]);
      return Number.isInteger(pid) && pid > 0 && !processExists(pid);
    });
  removeNamespaces(stale);
  return stale;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function pidsIn(name: string): number[] {
  try {
    return runSync('ip', ['netns', 'pids', name])
      .split('\n')
      .map(Number)
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  } catch {
    return [];
  }
}

function killAll(name: string): void {
  const deadline = Date.now() + KILL_WAIT_MS;
  for (let pids = pidsIn(name); pids.length > 0 && Date.now() < deadline; pids = pidsIn(name)) {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

/** Removes what is left on `exit`, and on SIGINT/SIGTERM before dying of the signal. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => removeNamespaces(live));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      removeNamespaces(live);
      process.kill(process.pid, signal);
    });
  }
}
