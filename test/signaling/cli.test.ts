import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCli, SETTINGS } from '../../signaling/cli-options.js';
import { DEFAULT_OPTIONS } from '../../signaling/options.js';
import { CLOSE_CODES } from '../../signaling/protocol.js';
import { createRoomToken } from '../../signaling/tokens.js';
import { RawClient } from '../helpers/raw-client.js';

const MAIN = join(import.meta.dirname, '../../signaling/main.ts');

interface Run {
  child: ChildProcess;
  /** Everything it printed, stdout and stderr. */
  output: () => string;
  /** The JSON log lines. */
  stdout: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  child.stdout?.on('data', (d) => {
    output += d;
    stdout += d;
  });
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, stdout: () => stdout, exited };
}

async function listening(r: Run): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const match = /listening on (http:\/\/\S+)/.exec(r.output());
    if (match?.[1]) return match[1];
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server did not start: ${r.output()}`);
}

describe('peerlane CLI', () => {
  const runs: Run[] = [];
  let demoDir: string | undefined;
  afterEach(async () => {
    for (const r of runs.splice(0)) r.child.kill('SIGKILL');
    if (demoDir) await rm(demoDir, { recursive: true, force: true });
  });

  it('mints no token for a bad room or identity: one line naming the flag, exit 2', async () => {
    const secret = 'a-test-secret-of-at-least-32-chars';
    const badRoom = run(['token', '--room', 'bad room!', '--secret', secret]);
    expect(await badRoom.exited).toBe(2);
    expect(badRoom.output()).toBe(
      'peerlane: token: --room: room must be a room name or a prefix ending in *\n',
    );
    const badSub = run(['token', '--room', 'r', '--sub', 'x'.repeat(200), '--secret', secret]);
    expect(await badSub.exited).toBe(2);
    expect(badSub.output()).toMatch(/^peerlane: token: --sub: [^\n]+\n$/);
    const shortSecret = run(['token', '--room', 'r', '--secret', 'x'.repeat(31)]);
    expect(await shortSecret.exited).toBe(2);
    expect(shortSecret.output()).toBe(
      "peerlane: token: --secret / PEERLANE_AUTH_SECRET must be at least 32 characters, as the server's is\n",
    );
    const badTtl = run(['token', '--room', 'r', '--ttl', 'soon', '--secret', secret]);
    expect(await badTtl.exited).toBe(2);
    expect(badTtl.output()).toBe(
      'peerlane: token: --ttl: expected a duration like 90s, 15m, 1h or 7d, got "soon"\n',
    );
  });

  it('prints help listing every flag and its variable', async () => {
    const r = run(['--help']);
    expect(await r.exited).toBe(0);
    expect(r.output()).toContain('Usage: peerlane [options]');
    expect(r.output()).toMatch(/--port <value>\s+PORT/);
    expect(r.output()).toMatch(/--max-payload <value>\s+PEERLANE_MAX_PAYLOAD/);
  });

  it('exits 2 with a clear message on a bad flag or value', async () => {
    const bad = run(['--bogus']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toBe('peerlane: unknown argument "--bogus"; see --help\n');
    const badValue = run([], { PORT: 'eighty' });
    expect(await badValue.exited).toBe(2);
    expect(badValue.output()).toBe(
      'peerlane: --port / PORT: expected a non-negative integer, got "eighty"\n',
    );
    const badPort = run(['--port', '70000']);
    expect(await badPort.exited).toBe(2);
    expect(badPort.output()).toBe(
      'peerlane: --port / PORT: expected a port number, 0 to 65535, got "70000"\n',
    );
  });

  it('serves the demo, /healthz and signaling, and shuts down gracefully on SIGTERM', async () => {
    demoDir = await mkdtemp(join(tmpdir(), 'peerlane-demo-'));
    await writeFile(join(demoDir, 'index.html'), '<h1>demo</h1>');
    const r = run(['--port', '0', '--demo-dir', demoDir]);
    runs.push(r);
    const base = await listening(r);

    expect(await (await fetch(base)).text()).toBe('<h1>demo</h1>');
    expect((await fetch(`${base}%2e%2e/package.json`)).status).toBe(404);
    expect((await fetch(`${base}nope.js`)).status).toBe(404);
    expect((await fetch(base, { method: 'POST' })).status).toBe(405);

    const client = await RawClient.connect(`${base.replace('http', 'ws')}ws`);
    await client.join('r');
    const health = await fetch(`${base}healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', connections: 1, rooms: 1, peers: 1 });

    r.child.kill('SIGTERM');
    expect(await client.closed).toEqual({
      code: CLOSE_CODES.GOING_AWAY,
      reason: 'server shutting down',
    });
    expect(await r.exited).toBe(0);
    expect(r.output()).toContain('peerlane: stopped');
  });

  it('keeps /metrics and the /healthz counts for holders of --metrics-token', async () => {
    const token = 'metrics-token-0123456789';
    const r = run(['--port', '0'], { PEERLANE_METRICS_TOKEN: token, LOG_LEVEL: 'silent' });
    runs.push(r);
    const base = await listening(r);
    const metrics = (authorization?: string) =>
      fetch(`${base}metrics`, authorization ? { headers: { authorization } } : {});
    for (const wrong of [undefined, 'Bearer wrong', `Bearer ${token}x`, token, `Basic ${token}`]) {
      const refused = await metrics(wrong);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="peerlane metrics"');
      expect(await refused.text()).toBe(
        'metrics need the header "Authorization: Bearer <token>", with the token of --metrics-token\n',
      );
    }
    for (const right of [`Bearer ${token}`, `bearer ${token}`]) {
      const served = await metrics(right);
      expect(served.status).toBe(200);
      expect(await served.text()).toContain('peerlane_connections');
    }
    // Health checks carry no token: they still get 200, without the usage counts.
    const health = await fetch(`${base}healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const counted = await fetch(`${base}healthz`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await counted.json()).toEqual({ status: 'ok', connections: 0, rooms: 0, peers: 0 });
    // A token that a shell or proxy would mangle is refused at start.
    const bad = run(['--metrics-token', 'short']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toBe(
      'peerlane: --metrics-token / PEERLANE_METRICS_TOKEN: expected 16–256 visible ASCII characters, without spaces\n',
    );
  });

  it('survives SIGHUP without TLS, says so, and keeps serving', async () => {
    const r = run(['--port', '0'], { LOG_LEVEL: 'silent' });
    runs.push(r);
    const base = await listening(r);
    const client = await RawClient.connect(`${base.replace('http', 'ws')}ws`);
    await client.join('hup');
    r.child.kill('SIGHUP');
    await expect
      .poll(() => r.output(), { timeout: 5000 })
      .toContain('peerlane: SIGHUP: nothing to reload (no --tls-cert); still running\n');
    expect(r.child.exitCode).toBeNull();
    expect((await fetch(`${base}healthz`)).status).toBe(200);
    client.send({ type: 'ping', ref: 'after' });
    expect(await client.next('pong')).toEqual({ type: 'pong', ref: 'after' });
    client.kill();
  });

  it('serves /readyz and /metrics, and logs JSON lines with ids but never tokens or secrets', async () => {
    const secret = 'cli-test-secret-cli-test-secret-0123';
    const r = run(['--port', '0', '--node-id', 'cli-node'], {
      PEERLANE_AUTH_SECRET: secret,
      LOG_LEVEL: 'debug',
    });
    runs.push(r);
    const base = await listening(r);
    expect(await (await fetch(`${base}readyz`)).json()).toEqual({ status: 'ready' });

    const token = await createRoomToken({ secret, room: 'r', sub: 'alice' });
    const client = await RawClient.connect(`${base.replace('http', 'ws')}ws`);
    const welcome = await client.join('r', { token });
    client.send('not json');
    await client.next('error');

    const metrics = await fetch(`${base}metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toContain('peerlane_connections{node="cli-node"} 1');
    expect(text).toContain('peerlane_joins_total{result="ok",node="cli-node"} 1');
    expect(text).toContain('peerlane_frames_in_total{type="invalid",node="cli-node"} 1');
    expect(text).toContain('peerlane_errors_total{code="BAD_JSON",node="cli-node"} 1');
    expect(text).toMatch(/peerlane_join_duration_seconds_count\{node="cli-node"\} 1/);

    r.child.kill('SIGTERM');
    await r.exited;
    const lines = r
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'joined')).toMatchObject({
      node: 'cli-node',
      peer: welcome.peerId,
      room: 'r',
    });
    expect(lines.find((l) => l.msg === 'invalid frame')).toMatchObject({
      code: 'BAD_JSON',
      conn: expect.any(String),
    });
    expect(r.output()).not.toContain(token);
    expect(r.output()).not.toContain(welcome.secret);
    expect(r.output()).not.toContain(secret);
  });

  it('shows a placeholder page when the demo is not built', async () => {
    demoDir = await mkdtemp(join(tmpdir(), 'peerlane-empty-'));
    const r = run([], { PORT: '0', PEERLANE_DEMO_DIR: demoDir });
    runs.push(r);
    const page = await fetch(await listening(r));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('The demo page has not been built');
  });
});

describe('parseCli', () => {
  it('reads flags over environment variables, in both flag forms', () => {
    expect(parseCli(['--port=9000', '--max-rooms', '5'], { PORT: '1', HOST: '0.0.0.0' })).toEqual({
      kind: 'serve',
      options: { port: 9000, host: '0.0.0.0', maxRooms: 5 },
      demoDir: undefined,
      logLevel: undefined,
    });
  });

  it('parses ICE servers as JSON and rejects bad ones', () => {
    const ice = '[{"urls":"turn:127.0.0.1:3478","username":"u","credential":"c"}]';
    expect(parseCli(['--ice-servers', ice], {})).toMatchObject({
      options: { iceServers: JSON.parse(ice) },
    });
    expect(() => parseCli([], { PEERLANE_ICE_SERVERS: '[{"url":1}]' })).toThrow(
      '--ice-servers / PEERLANE_ICE_SERVERS: expected a JSON array of { urls, username?, credential? }',
    );
    // A URL a browser would refuse (every client's RTCPeerConnection would fail), named.
    expect(() => parseCli(['--ice-servers', '[{"urls":"stun.example.com:3478"}]'], {})).toThrow(
      '(ICE servers[0].urls: must be a stun:, stuns:, turn: or turns: URL with a host)',
    );
  });

  it('has a flag for every server option', () => {
    const topLevel = new Set(SETTINGS.map((s) => s.key.split('.')[0]));
    expect([...topLevel].sort()).toEqual(
      [
        ...Object.keys(DEFAULT_OPTIONS),
        'auth',
        'allowedOrigins',
        'turn',
        'redisUrl',
        'nodeId',
        'demoDir',
        'logLevel',
        // `tls` ({ cert, key }) comes from these two files.
        'tlsCert',
        'tlsKey',
        // The process's own HTTP: a library user serves metrics as it likes.
        'metricsToken',
      ].sort(),
    );
  });

  it('asks for a value a flag lacks', () => {
    expect(() => parseCli(['--port'], {})).toThrow('--port needs a value');
  });

  // An empty variable counts as unset; an empty flag was taken as a value: `--host=` listened
  // on every interface (Node's listen() takes '' as "any"), `--demo-dir=` served the
  // working directory, `--tls-cert= --tls-key=` served plain http.
  it.each(['host', 'demo-dir', 'path', 'redis-url', 'auth-secret', 'tls-cert', 'allowed-origins'])(
    'refuses an empty --%s rather than take it',
    (flag) => {
      expect(() => parseCli([`--${flag}=`], {})).toThrow(`--${flag} needs a value`);
      expect(() => parseCli([`--${flag}`, ''], {})).toThrow(`--${flag} needs a value`);
    },
  );
});
