/**
 * The `peerlane` process at start-up: a setting it cannot run with is one line on stderr
 * and exit status 1 (never a process that answers /healthz and does nothing else), and a
 * Redis that is down at boot is waited for — /readyz turns 200 once it answers. A log
 * reader that goes away costs the log, never the server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { freePort, type RedisProcess, startRedis } from '../helpers/redis.js';

const MAIN = join(import.meta.dirname, '../../signaling/main.ts');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Runs the process on a free port with `args`, `env` over ours, and `nodeFlags` for Node. */
function run(args: string[], env: Record<string, string> = {}, nodeFlags: string[] = []): Run {
  const child = spawn(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', MAIN, '--port', '0', ...args],
    { env: { ...process.env, LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

describe('peerlane start-up', () => {
  const children: ChildProcess[] = [];
  let redis: RedisProcess | undefined;
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await redis?.stop();
    redis = undefined;
  });

  it.each([
    [
      'an auth secret under 32 characters',
      [],
      { PEERLANE_AUTH_SECRET: 'short' },
      'peerlane: cannot start: --auth-secret / PEERLANE_AUTH_SECRET: must be at least 32 characters\n',
    ],
    [
      'a TURN secret under 16 characters',
      ['--turn-urls', 'turn:127.0.0.1:3478', '--turn-secret', 'x'],
      {},
      'peerlane: cannot start: --turn-secret / PEERLANE_TURN_SECRET: must be at least 16 characters\n',
    ],
    [
      'zero peers per room',
      ['--max-peers-per-room', '0'],
      {},
      'peerlane: cannot start: --max-peers-per-room / PEERLANE_MAX_PEERS_PER_ROOM: must be a positive integer (got 0)\n',
    ],
    [
      'token checks with neither a secret nor a JWKS URL',
      ['--auth-issuer', 'https://issuer.example'],
      {},
      'peerlane: cannot start: auth needs exactly one of --auth-secret / PEERLANE_AUTH_SECRET or --auth-jwks-url / PEERLANE_AUTH_JWKS_URL\n',
    ],
    [
      'both a secret and a JWKS URL',
      ['--auth-jwks-url', 'https://issuer.example/jwks'],
      { PEERLANE_AUTH_SECRET: 'a-test-secret-of-at-least-32-chars' },
      'peerlane: cannot start: auth needs exactly one of --auth-secret / PEERLANE_AUTH_SECRET or --auth-jwks-url / PEERLANE_AUTH_JWKS_URL\n',
    ],
    [
      'a node id outside A–Z a–z 0–9 _ . - (without Redis too)',
      ['--node-id', 'node 1'],
      {},
      'peerlane: cannot start: --node-id / PEERLANE_NODE_ID: must match /^[A-Za-z0-9_.-]{1,64}$/ (got node 1)\n',
    ],
    [
      'a host name that does not resolve',
      ['--host', 'nonexistent.invalid'],
      {},
      'peerlane: cannot start: cannot listen on nonexistent.invalid:0: the host name does not resolve (--host / HOST, --port / PORT)\n',
    ],
    [
      'a grace period no timer can wait',
      [],
      { PEERLANE_RESUME_GRACE_MS: '99999999999' },
      'peerlane: cannot start: --resume-grace / PEERLANE_RESUME_GRACE_MS: must be at most 2147483647 ms, about 24.8 days (got 99999999999)\n',
    ],
  ])('exits 1 with one line on %s', async (_name, args, env, expected) => {
    const r = run(args, env);
    children.push(r.child);
    expect(await r.exited).toBe(1);
    if (typeof expected === 'string') expect(r.stderr()).toBe(expected);
    else expect(r.stderr()).toMatch(expected);
  });

  it('prints its version with --version', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--version'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(child);
    let stdout = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    const { version } = JSON.parse(
      await readFile(join(import.meta.dirname, '../../package.json'), 'utf8'),
    ) as { version: string };
    expect(stdout).toBe(`${version}\n`);
  });

  it.each([
    ['sets its V8 flags before serving', [], ['--no-allocation-site-pretenuring']],
    ['leaves them to Node when it was given them', ['--allocation-site-pretenuring'], []],
  ])('%s', async (_name, nodeFlags, expected) => {
    const r = run([], { LOG_LEVEL: 'info' }, nodeFlags);
    children.push(r.child);
    const listening = async () =>
      r
        .stdout()
        .split('\n')
        .flatMap((line) => (line.includes('"listening"') ? [JSON.parse(line)] : []))[0];
    await expect.poll(listening, { timeout: 10_000, interval: 50 }).toBeDefined();
    expect((await listening()).v8Flags).toEqual(expected);
  });

  it('keeps serving when the reader of its log goes away', async () => {
    const r = run([], { LOG_LEVEL: 'info' });
    children.push(r.child);
    const port = await listeningPort(r);
    r.child.stdout?.destroy(); // the pipe's reading end closes: the next log line gets EPIPE
    for (let i = 0; i < 3; i++) {
      // Each connection logs lines at info: connected, joined, closed.
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      await new Promise((resolve, reject) => {
        ws.once('message', resolve);
        ws.once('error', reject);
        ws.once('open', () => ws.send('{"type":"join","room":"logs"}'));
      });
      ws.close();
      await new Promise((resolve) => ws.once('close', resolve));
    }
    await expect
      .poll(r.stderr, { timeout: 5_000 })
      .toContain(
        'peerlane: stdout was closed (EPIPE): log lines are dropped from now on; still serving\n',
      );
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    expect(r.child.exitCode).toBe(null);
    expect(r.stderr().match(/stdout was closed/g)).toHaveLength(1);
  });

  it.each([
    ['--version'],
    ['--help'],
    ['token', '--secret', 'a-test-secret-of-at-least-32-chars', '--room', 'r'],
  ])('ends as usual when the reader of `peerlane %s` went away', async (...args) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout?.destroy(); // before it prints: its write gets EPIPE
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    expect(stderr).toBe('');
  });

  it('exits 1 naming the address when the port is taken', async () => {
    const first = run([]);
    children.push(first.child);
    const port = await listeningPort(first);
    const second = run(['--port', String(port)]);
    children.push(second.child);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toBe(
      `peerlane: cannot start: cannot listen on 127.0.0.1:${port}: the address is already in use (--host / HOST, --port / PORT)\n`,
    );
  });

  it('waits for a Redis that is down at boot and becomes ready when it comes up', async () => {
    const redisPort = await freePort();
    const r = run(['--redis-url', `redis://127.0.0.1:${redisPort}`]);
    children.push(r.child);
    const port = await listeningPort(r);
    const readyz = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(await readyz()).toBe(503);
    expect(r.stderr()).toContain(`waiting for Redis at redis://127.0.0.1:${redisPort}`);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(await readyz()).toBe(503);
    expect(r.child.exitCode).toBe(null);
    redis = await startRedis(redisPort);
    await expect.poll(readyz, { timeout: 10_000, interval: 100 }).toBe(200);
    await expect.poll(r.stderr, { timeout: 2_000 }).toContain('peerlane: Redis is up: ready\n');
  }, 30_000);
});

/** The port a run prints in its "listening on" line. */
async function listeningPort(r: Run): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const match = /listening on http:\/\/[^:]+:(\d+)\//.exec(r.stderr());
    if (match?.[1]) return Number(match[1]);
    if (r.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server did not start: ${r.stderr()}`);
}
