import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { SignalingServerOptions } from '../../signaling/options.js';
import type { SignalingStats } from '../../signaling/server.js';

/** What a server process reports about itself. */
export interface ServerStatus {
  heapUsed: number;
  /** Memory outside the JS heap: Buffers, socket queues. */
  external: number;
  stats: SignalingStats;
  ready: boolean;
  metrics: string;
}

/** A signaling server running in its own Node process. */
export interface ServerProcess {
  url: string;
  nodeId: string;
  child: ChildProcess;
  /** Heap after a forced GC, counts, readiness and metrics. */
  status(): Promise<ServerStatus>;
  /** True while the process is running. */
  alive(): boolean;
  /** Graceful: `server.close()` (clients get 1001), then the process exits. */
  close(): Promise<void>;
  /** A crash: SIGKILL, nothing said to anyone. */
  kill(): Promise<void>;
  /** Stops it whichever way still works. */
  stop(): Promise<void>;
}

type Options = Omit<SignalingServerOptions, 'server' | 'logger'>;

/** Starts `createSignalingServer(options)` in a child process with `--expose-gc`. */
export async function startServerProcess(options: Options = {}): Promise<ServerProcess> {
  const child = fork(join(import.meta.dirname, 'server-process-main.ts'), {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, PEERLANE_TEST_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => {
    exited = true;
  });
  const { url, nodeId } = await new Promise<{ url: string; nodeId: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string; nodeId: string }));
    child.once('exit', (code) =>
      reject(new Error(`server process exited with ${code} before starting`)),
    );
  });
  const waitExit = async (): Promise<void> => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };
  return {
    url,
    nodeId,
    child,
    alive: () => !exited,
    status: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as ServerStatus));
        child.send('status');
      }),
    async close() {
      if (exited) return;
      child.send('close');
      await waitExit();
    },
    async kill() {
      if (exited) return;
      child.kill('SIGKILL');
      await exit;
    },
    async stop() {
      if (exited) return;
      child.disconnect();
      await waitExit();
    },
  };
}
