/**
 * The server host of the bed: coturn and the Peerlane server (its own process entry point,
 * `signaling/bin.ts`) run inside the server namespace, listening on its address only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../e2e/harness/sdk-bundle.js';

/** coturn's port (UDP and TCP) inside the server namespace. */
export const TURN_PORT = 3478;
/** How long a process may take to say it is ready, in ms (tsx compiling the server on a loaded 2-core machine took over 20 s once). */
const START_TIMEOUT_MS = 60_000;

/** A process started in a namespace, with the end of its output for error messages. */
export interface HostProcess {
  /** The last 4 KB of its stdout and stderr. */
  log(): string;
  /** SIGKILLs it and waits for it to exit (the bed's teardown kills it anyway). */
  stop(): Promise<void>;
}

/**
 * Spawns `command args…` in namespace `ns` and resolves once a line of its output matches
 * `ready`; rejects with its log when it exits first or takes longer than 60 s.
 */
export function spawnIn(
  ns: string,
  command: string,
  args: readonly string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HostProcess> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, command, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const handle: HostProcess = {
    log: () => log,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void handle.stop();
      reject(new Error(`${command} did not start within ${START_TIMEOUT_MS} ms; its log:\n${log}`));
    }, START_TIMEOUT_MS);
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4096);
      if (ready.test(log)) {
        clearTimeout(timer);
        resolve(handle);
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`${command} exited (${signal ?? code}) before it was ready; its log:\n${log}`),
      );
    });
  });
}

/** coturn in the server namespace, as {@link startCoturn} returns it. */
export interface Coturn extends HostProcess {
  /** Its `static-auth-secret`: the Peerlane server signs TURN credentials with it. */
  readonly secret: string;
}

/** Starts coturn on `address:3478` (UDP and TCP), relaying from the same address. */
export async function startCoturn(ns: string, address: string): Promise<Coturn> {
  const secret = randomBytes(16).toString('hex');
  const state = await mkdtemp(join(tmpdir(), 'peerlane-netbed-coturn-'));
  const host = await spawnIn(
    ns,
    '/usr/bin/turnserver',
    [
      '-n',
      '--no-cli',
      '--log-file=stdout',
      '--simple-log',
      `--listening-ip=${address}`,
      `--relay-ip=${address}`,
      `--listening-port=${TURN_PORT}`,
      '--min-port=40000',
      '--max-port=40999',
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=peerlane.test',
      '--no-tls',
      '--no-dtls',
      '--fingerprint',
      `--pidfile=${join(state, 'turnserver.pid')}`,
      `--db=${join(state, 'turndb')}`,
    ],
    /Total General servers/,
  );
  return {
    secret,
    log: host.log,
    async stop() {
      await host.stop();
      await rm(state, { recursive: true, force: true });
    },
  };
}

/** Options of {@link startPeerlane}. */
export interface PeerlaneHostOptions {
  address: string;
  port: number;
  /** The folder of pages it serves (`--demo-dir`). */
  siteDir: string;
  /** TURN URLs it issues credentials for, with coturn's secret. @default no TURN */
  turn?: { urls: string[]; secret: string };
}

/** A Peerlane server in the server namespace. */
export interface PeerlaneHost extends HostProcess {
  /** Origin of its pages, e.g. `http://10.99.0.1:8080`. */
  readonly origin: string;
  /** Its signaling WebSocket URL. */
  readonly url: string;
}

/**
 * Starts the Peerlane server as a user would (`peerlane --host … --port …`, here its
 * source entry point through tsx), TURN settings in its environment as the README shows.
 */
export async function startPeerlane(
  ns: string,
  options: PeerlaneHostOptions,
): Promise<PeerlaneHost> {
  const { address, port, siteDir, turn } = options;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PEERLANE_TURN_URLS: '',
    PEERLANE_TURN_SECRET: '',
  };
  delete env.PEERLANE_TURN_URLS;
  delete env.PEERLANE_TURN_SECRET;
  if (turn) {
    env.PEERLANE_TURN_URLS = turn.urls.join(',');
    env.PEERLANE_TURN_SECRET = turn.secret;
  }
  const args = ['--import', 'tsx', 'signaling/bin.ts', '--host', address, '--port', String(port)];
  args.push('--demo-dir', siteDir, '--log-level', 'warn');
  const host = await spawnIn(ns, process.execPath, args, /listening on /, env);
  const origin = `http://${address}:${port}`;
  return { ...host, origin, url: `ws://${address}:${port}/ws` };
}
