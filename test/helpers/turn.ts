import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { afterEach } from 'vitest';
import { createSignalingServer, type SignalingServer } from '../../signaling/server.js';

const TURNSERVER = '/usr/bin/turnserver';

/** A coturn TURN server on a loopback port, which a test can kill and start again. */
export interface TurnServer {
  readonly port: number;
  /** `turn:127.0.0.1:PORT?transport=udp`. */
  readonly url: string;
  /** coturn's `static-auth-secret`, for a signaling server that issues credentials. */
  readonly secret: string;
  /** ICE servers with valid credentials (coturn's REST-secret convention), UDP. */
  readonly iceServers: RTCIceServer[];
  /** Kills coturn at once (SIGKILL: a crash, no goodbyes) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts coturn again on the same port; resolves when it accepts connections. */
  restart(): Promise<void>;
}

/**
 * Per-test coturn servers: `start()` spawns `turnserver` on a free 127.0.0.1 port (relay
 * ports too on 127.0.0.1 only); all are killed after each test.
 */
export function useTurn() {
  const running = new Set<ChildProcess>();
  afterEach(async () => {
    await Promise.all([...running].map(stop));
    running.clear();
  });

  async function spawnOn(port: number, secret: string, relayBase: number): Promise<ChildProcess> {
    const child = spawn(
      TURNSERVER,
      [
        '-n',
        '--no-cli',
        '--log-file=stdout',
        '--simple-log',
        '--listening-ip=127.0.0.1',
        '--relay-ip=127.0.0.1',
        `--listening-port=${port}`,
        `--min-port=${relayBase}`,
        `--max-port=${relayBase + 99}`,
        '--use-auth-secret',
        `--static-auth-secret=${secret}`,
        '--realm=peerlane.test',
        '--no-tls',
        '--no-dtls',
        '--allow-loopback-peers',
        '--fingerprint',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    running.add(child);
    child.once('exit', () => running.delete(child));
    let log = '';
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    try {
      await untilListening(port, child);
    } catch (error) {
      await stop(child);
      throw new Error(`${(error as Error).message}; its log ends with:\n${log}`);
    }
    return child;
  }

  return {
    async start(): Promise<TurnServer> {
      const port = await freePort();
      const secret = randomBytes(12).toString('hex');
      // Below the kernel's ephemeral range (32768+), where WebRTC's own sockets live.
      const relayBase = 10_000 + Math.floor(Math.random() * 100) * 100;
      let child = await spawnOn(port, secret, relayBase);
      const username = `${Math.floor(Date.now() / 1000) + 3600}:peerlane`;
      const credential = createHmac('sha1', secret).update(username).digest('base64');
      const url = `turn:127.0.0.1:${port}?transport=udp`;
      return {
        port,
        url,
        secret,
        iceServers: [{ urls: url, username, credential }],
        kill: () => stop(child),
        async restart() {
          child = await spawnOn(port, secret, relayBase);
        },
      };
    },
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A port in 20000–29999 free for both UDP and TCP on 127.0.0.1 (coturn listens on both). */
async function freePort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if ((await canBindUdp(port)) && (await canBindTcp(port))) return port;
  }
  throw new Error('no free port for turnserver after 50 tries');
}

function canBindUdp(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

function canBindTcp(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Waits (at most 5 s) until coturn accepts TCP connections on `port`. */
async function untilListening(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`turnserver did not listen on ${port} within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A signaling server on port 0 that issues credentials for `coturn` in its welcomes;
 * `defer` (the test harness's) closes it after the test.
 */
export async function signalingWithTurn(
  coturn: TurnServer,
  defer: (cleanup: () => unknown) => void,
): Promise<SignalingServer> {
  const server = await createSignalingServer({
    port: 0,
    shutdownTimeoutMs: 1000,
    turn: { urls: [coturn.url], secret: coturn.secret },
  });
  defer(() => server.close());
  return server;
}
