import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A real `redis-server` on a free loopback port, without persistence. */
export interface RedisProcess {
  url: string;
  port: number;
  /** Kills it and starts a fresh, empty one on the same port (a Redis restart). */
  restart(): Promise<void>;
  /** Sends the running redis-server a signal (SIGSTOP freezes it, SIGCONT thaws it). */
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Spawns Debian's `redis-server` (fails clearly when it is not installed), on `port` or a
 * free one.
 */
export async function startRedis(port?: number): Promise<RedisProcess> {
  port ??= await freePort();
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const started = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start: ${output}`)),
        10_000,
      );
      started.once('error', (error) => {
        clearTimeout(timer);
        reject(
          new Error(`cannot run redis-server (apt-get install redis-server): ${error.message}`),
        );
      });
      started.stdout?.on('data', (data: Buffer) => {
        output += data;
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  };
  const kill = async (): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart() {
      await kill();
      await launch();
    },
    stop: kill,
    signal(signal) {
      child?.kill(signal);
    },
  };
}
