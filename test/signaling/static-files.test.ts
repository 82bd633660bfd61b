/**
 * The demo's static files through `createHttpHandler`: compressed as the client accepts,
 * with ETags and 304s, a Content-Security-Policy on HTML when given, nothing outside the
 * folder.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../signaling/http.js';
import { DEMO_CSP } from '../../signaling/static-files.js';

let dir: string;
let server: Server;
let base: string;
const SCRIPT = `console.log(${JSON.stringify('peerlane '.repeat(500))});\n`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlane-static-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>demo</title>');
  await writeFile(join(dir, 'assets/app.js'), SCRIPT);
  await writeFile(join(dir, 'assets/logo.png'), Buffer.alloc(4096, 1));
  server = createServer(
    createHttpHandler({
      demoDir: dir,
      health: () => ({}),
      ready: () => true,
      metrics: async () => ({ text: '', contentType: 'text/plain' }),
      csp: DEMO_CSP,
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** A raw GET (fetch would decompress and hide the encoding). */
function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      const req = request(`${base}${path}`, { method, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
      });
      req.once('error', reject);
      req.end();
    },
  );
}

describe('static files', () => {
  it('answers a plain request to the signaling path with 426 and how to connect, not 404', async () => {
    const plain = await get('/ws');
    expect(plain.status).toBe(426);
    expect(plain.headers.upgrade).toBe('websocket');
    expect(plain.body.toString()).toBe('Peerlane signaling: connect with a WebSocket to /ws\n');
  });

  it('compresses text with brotli or gzip, as the client accepts', async () => {
    const br = await get('/assets/app.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('accept-encoding');
    expect(brotliDecompressSync(br.body).toString()).toBe(SCRIPT);
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(SCRIPT.length / 10);

    const gz = await get('/assets/app.js', { 'accept-encoding': 'gzip, br;q=0' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(SCRIPT);

    const plain = await get('/assets/app.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(SCRIPT);

    const image = await get('/assets/logo.png', { 'accept-encoding': 'br' });
    expect(image.headers['content-encoding']).toBeUndefined();
    expect(image.body.length).toBe(4096);
  });

  it('answers a matching If-None-Match with 304, and HEAD with headers only', async () => {
    const first = await get('/assets/app.js', { 'accept-encoding': 'br' });
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    expect(first.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const again = await get('/assets/app.js', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const head = await get('/assets/app.js', { 'accept-encoding': 'br' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(first.headers['content-length']);
    expect(head.body.length).toBe(0);
  });

  it('puts the Content-Security-Policy on HTML', async () => {
    const page = await get('/');
    expect(page.headers['content-security-policy']).toBe(DEMO_CSP);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect((await get('/assets/app.js')).headers['content-security-policy']).toBeUndefined();
  });

  it('serves nothing outside its folder and no missing file', async () => {
    expect((await get('/../package.json')).status).toBe(404);
    expect((await get('/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    expect((await get('/assets/nope.js.map')).status).toBe(404);
  });

  it('serves a folder given with a trailing slash (--demo-dir dist/demo/) like one without', async () => {
    const slashed = createServer(
      createHttpHandler({
        demoDir: `${dir}/`,
        health: () => ({}),
        ready: () => true,
        metrics: async () => ({ text: '', contentType: 'text/plain' }),
      }),
    );
    await new Promise<void>((resolve) => slashed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(slashed.address() as AddressInfo).port}`;
    try {
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe('<!doctype html><title>demo</title>');
      const script = await fetch(`${url}/assets/app.js`);
      expect(script.status).toBe(200);
      expect(await script.text()).toBe(SCRIPT);
      expect((await fetch(`${url}/%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
    } finally {
      await new Promise((resolve) => slashed.close(resolve));
    }
  });
});
