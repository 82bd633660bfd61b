/**
 * TLS built in: `tls` in the library and `--tls-cert`/`--tls-key` in the process serve
 * https and wss on one port, `url` says wss (own server or an attached https one), and
 * SIGHUP swaps the certificate for new handshakes without dropping open connections.
 * Certificates are self-signed ones the test makes with openssl.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSignalingServer, type SignalingServer } from '../../signaling/server.js';
import { type Certificate, makeCertificate } from '../helpers/certificate.js';
import { RawClient } from '../helpers/raw-client.js';

const MAIN = join(import.meta.dirname, '../../signaling/main.ts');

let dir: string;
let first: Certificate;
let second: Certificate;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlane-tls-'));
  first = await makeCertificate(dir, 'first');
  second = await makeCertificate(dir, 'second');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The SHA-256 fingerprint of the certificate a fresh handshake with `port` presents. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

/** GET over https, trusting `ca`; resolves with the status and body. */
function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).once('error', reject);
  });
}

describe('TLS in the library', () => {
  const servers: SignalingServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  it('serves wss with its own https server when given tls', async () => {
    const server = await createSignalingServer({
      port: 0,
      tls: { cert: first.cert, key: first.key },
    });
    servers.push(server);
    expect(server.url).toBe(`wss://127.0.0.1:${server.port}/ws`);
    const client = await RawClient.connect(server.url, { ca: first.cert });
    expect((await client.join('tls-room')).type).toBe('welcome');
    client.ws.close();
    await expect(RawClient.connect(server.url)).rejects.toThrow(/self-signed certificate/);
  });

  it('says wss when attached to an https.Server', async () => {
    const https = createServer({ cert: first.cert, key: first.key });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const server = await createSignalingServer({ server: https });
    servers.push(server);
    expect(server.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/ws$/);
    const client = await RawClient.connect(server.url, { ca: first.cert });
    expect((await client.join('tls-room')).type).toBe('welcome');
    client.ws.close();
    await server.close();
    await new Promise((resolve) => https.close(resolve));
  });
});

describe('TLS in the process', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  it('serves https and wss, and reloads the certificate on SIGHUP without dropping connections', async () => {
    const certFile = join(dir, 'live.pem');
    const keyFile = join(dir, 'live-key.pem');
    await copyFile(first.certFile, certFile);
    await copyFile(first.keyFile, keyFile);
    child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0'], {
      env: {
        ...process.env,
        LOG_LEVEL: 'silent',
        PEERLANE_TLS_CERT: certFile,
        PEERLANE_TLS_KEY: keyFile,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    await expect.poll(() => stderr, { timeout: 10_000 }).toMatch(/listening on https:\/\//);
    const port = Number(/listening on https:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr)?.[1]);
    expect(stderr).toContain(`(signaling wss://127.0.0.1:${port}/ws)`);

    expect(await httpsGet(`https://127.0.0.1:${port}/healthz`, first.cert)).toMatchObject({
      status: 200,
    });
    const before = await RawClient.connect(`wss://127.0.0.1:${port}/ws`, { ca: first.cert });
    await before.join('renewal');
    expect(await servedFingerprint(port)).toBe(first.fingerprint);

    await copyFile(second.certFile, certFile);
    await copyFile(second.keyFile, keyFile);
    child.kill('SIGHUP');
    await expect.poll(() => stderr).toContain('SIGHUP: reloaded the TLS certificate and key');
    expect(await servedFingerprint(port)).toBe(second.fingerprint);

    // The connection made before the reload is still served.
    const after = await RawClient.connect(`wss://127.0.0.1:${port}/ws`, { ca: second.cert });
    await after.join('renewal');
    await before.next('peer-joined');

    // A broken renewal keeps the certificate in use.
    await copyFile(first.certFile, certFile); // first's certificate with second's key
    child.kill('SIGHUP');
    await expect
      .poll(() => stderr)
      .toContain('SIGHUP: kept the current certificate: --tls-cert / --tls-key:');
    expect(await servedFingerprint(port)).toBe(second.fingerprint);
    before.ws.close();
    after.ws.close();
  }, 30_000);

  it('exits 1 with one line when a file is missing or only one is given', async () => {
    const missing = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        MAIN,
        '--port',
        '0',
        '--tls-cert',
        join(dir, 'none.pem'),
        '--tls-key',
        first.keyFile,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let said = '';
    missing.stderr?.on('data', (d) => {
      said += d;
    });
    expect(await new Promise((resolve) => missing.on('exit', resolve))).toBe(1);
    expect(said).toBe(
      `peerlane: cannot start: --tls-cert / PEERLANE_TLS_CERT: cannot read ${join(dir, 'none.pem')} (ENOENT)\n`,
    );

    const half = spawn(process.execPath, ['--import', 'tsx', MAIN, '--tls-cert', first.certFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let halfSaid = '';
    half.stderr?.on('data', (d) => {
      halfSaid += d;
    });
    expect(await new Promise((resolve) => half.on('exit', resolve))).toBe(2);
    expect(halfSaid).toBe(
      'peerlane: --tls-cert / PEERLANE_TLS_CERT and --tls-key / PEERLANE_TLS_KEY go together\n',
    );
  }, 20_000);
});
