import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { SignalingServerOptions } from '../../signaling/options.js';
import type { SignalingStats } from '../../signaling/server.js';

/** A signaling server running in its own Node process. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Heap in use after a forced GC, and the server's counts. */
  heap(): Promise<{ heapUsed: number; stats: SignalingStats }>;
  /** True while the process is running. */
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts `createSignalingServer(options)` in a child process with `--expose-gc`. */
export async function startServerProcess(
  options: Omit<SignalingServerOptions, 'server'> = {},
): Promise<ServerProcess> {
  const child = fork(join(import.meta.dirname, 'server-process-main.ts'), {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, PEERLANE_TEST_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => (exited = true));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) =>
      reject(new Error(`server process exited with ${code} before starting`)),
    );
  });
  return {
    url,
    child,
    alive: () => !exited,
    heap: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as { heapUsed: number; stats: SignalingStats }));
        child.send('heap');
      }),
    async stop() {
      if (exited) return;
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}
