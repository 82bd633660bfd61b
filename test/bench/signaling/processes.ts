/**
 * The orchestrator's side of the child processes: spawning them (pinned to a core with
 * `taskset` when asked), talking to them over IPC with bounded waits, and reading their
 * CPU time and resident memory from /proc.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A child process that takes `In` messages and answers with `Out` ones (each has `kind`). */
export class Child<In, Out extends { kind: string }> {
  readonly #process: ChildProcess;
  readonly #inbox: Out[] = [];
  #wake: (() => void) | null = null;
  #exited: string | null = null;

  private constructor(process: ChildProcess) {
    this.#process = process;
    process.on('message', (message: Out) => {
      this.#inbox.push(message);
      this.#wake?.();
    });
    process.on('exit', (code, signal) => {
      this.#exited = `exited with ${signal ?? `code ${code}`}`;
      this.#wake?.();
    });
    process.on('error', (error) => {
      this.#exited = error.message;
      this.#wake?.();
    });
  }

  /**
   * Runs `script` (TypeScript, through tsx) with `--expose-gc` and `nodeFlags`, on core
   * `cpu` if not null.
   */
  static start<In, Out extends { kind: string }>(
    script: string,
    args: string[],
    cpu: number | null,
    nodeFlags: string[] = [],
  ): Child<In, Out> {
    const node = [
      process.execPath,
      '--expose-gc',
      ...nodeFlags,
      '--import',
      'tsx',
      fileURLToPath(new URL(script, import.meta.url)),
      ...args,
    ];
    const command = cpu === null ? node : ['taskset', '-c', String(cpu), ...node];
    const [file = '', ...rest] = command;
    return new Child(
      spawn(file, rest, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
  }

  /** The process id; `taskset` execs node, so it is node's own. */
  get pid(): number {
    const pid = this.#process.pid;
    if (pid === undefined) throw new Error('child process did not start');
    return pid;
  }

  send(message: In): void {
    this.#process.send(message as object);
  }

  /**
   * Resolves with the next message, which must be of `kind`. Rejects on any other kind
   * (a `failed` message carries its `error`), when the child exits, or after `timeoutMs`.
   */
  async next<K extends Out['kind']>(
    kind: K,
    timeoutMs: number,
  ): Promise<Extract<Out, { kind: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.#inbox.shift();
      if (message) {
        if (message.kind === kind) return message as Extract<Out, { kind: K }>;
        const error = (message as { error?: unknown }).error;
        throw new Error(
          typeof error === 'string' ? error : `expected "${kind}", got "${message.kind}"`,
        );
      }
      if (this.#exited !== null) throw new Error(`child ${this.#exited}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${kind}" from the child within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** Sends `message` and waits for the reply of `kind`. */
  request<K extends Out['kind']>(message: In, kind: K, timeoutMs: number) {
    this.send(message);
    return this.next(kind, timeoutMs);
  }

  /** Waits up to `timeoutMs` for the process to exit, then kills it. */
  async stop(timeoutMs = 3000): Promise<void> {
    if (this.#exited !== null) return;
    const exited = new Promise<void>((resolve) => this.#process.once('exit', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([exited, late]);
    clearTimeout(timer);
    if (this.#exited === null) {
      this.#process.kill('SIGKILL');
      await exited;
    }
  }

  /** Kills the process now (used when the orchestrator itself is bailing out). */
  kill(): void {
    if (this.#exited === null) this.#process.kill('SIGKILL');
  }
}

const CLOCK_TICKS =
  Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time a process has used, in µs (resolution: one clock tick). */
export interface CpuTimes {
  user: number;
  system: number;
}

/** User and system CPU time of the process, from /proc/<pid>/stat (utime, stime). */
export function cpuTimes(pid: number): CpuTimes {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesized command name start at field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const micros = (field: number): number => (Number(fields[field - 3]) * 1e6) / CLOCK_TICKS;
  return { user: micros(14), system: micros(15) };
}

/**
 * CPU time all processes together have used on `cpus`, from /proc/stat (everything but
 * idle and iowait), in µs. Compared with our own processes' time, it shows how much a
 * shared machine's other work competed with the benchmark.
 */
export function coreBusyMicros(cpus: readonly number[]): number {
  let ticks = 0;
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^cpu(\d+) (.*)$/.exec(line);
    if (!match || !cpus.includes(Number(match[1]))) continue;
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = (match[2] ?? '')
      .trim()
      .split(/\s+/)
      .map(Number);
    ticks += user + nice + system + irq + softirq + steal;
  }
  return (ticks * 1e6) / CLOCK_TICKS;
}

/** Resident set size of the process, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** Whether cores 0 and 1 can be given one each to the server and the load generator. */
export function canPin(): boolean {
  try {
    const answer = execFileSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
    const allowed = new Set<number>();
    for (const part of answer
      .slice(answer.lastIndexOf(':') + 1)
      .trim()
      .split(',')) {
      const [from = Number.NaN, to = from] = part.split('-').map(Number);
      for (let cpu = from; cpu <= to; cpu++) allowed.add(cpu);
    }
    return allowed.has(0) && allowed.has(1);
  } catch {
    return false;
  }
}
