import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_DIR } from './sdk-bundle.js';

/** The test pages' sources: `<name>.ts` files, served as `/<name>.js`. */
const PAGES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../pages');

/** hash-wasm's ES module build, served as `/hash-wasm.js`. */
const HASH_WASM_FILE = createRequire(import.meta.url).resolve('hash-wasm/dist/index.esm.js');

/** A static HTTP server for the test pages, as {@link servePages} returns it. */
export interface PageServer {
  /** Origin to open pages from, e.g. `http://127.0.0.1:41234` (a secure context). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the test pages on `127.0.0.1`, port 0:
 * - `/<kind>.html` — an empty page that loads `/<kind>-page.js`;
 * - `/<name>.js` — `test/e2e/pages/<name>.ts`, types stripped (imports between pages keep
 *   working because they use `.js` specifiers);
 * - `/peerlane.js` (and its `.map`) — the SDK's browser bundle from `dist/browser/`, read
 *   on every request, so build it first (`ensureSdkBundle()`);
 * - `/hash-wasm.js` — hash-wasm's ES module build, for pages without WebCrypto.
 */
export async function servePages(): Promise<PageServer> {
  const transpiled = new Map<string, { mtimeMs: number; code: string }>();

  async function pageScript(name: string): Promise<string | undefined> {
    const file = join(PAGES_DIR, `${name}.ts`);
    const info = await stat(file).catch(() => undefined);
    if (!info) return undefined;
    const cached = transpiled.get(file);
    if (cached?.mtimeMs === info.mtimeMs) return cached.code;
    const { transformWithOxc } = await import('vite');
    const { code } = await transformWithOxc(await readFile(file, 'utf8'), file, {
      lang: 'ts',
      target: 'es2022',
    });
    transpiled.set(file, { mtimeMs: info.mtimeMs, code });
    return code;
  }

  async function answer(
    path: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const send = (status: number, type: string, body: string | Uint8Array) =>
      reply(request, response, status, type, body);
    const html = /^\/([a-z][a-z0-9-]*)\.html$/.exec(path)?.[1];
    if (html) {
      const script = `${html}-page`;
      if (!(await pageScript(script))) return send(404, 'text/plain', `no ${script}.ts`);
      return send(200, 'text/html', shell(html, `/${script}.js`));
    }
    if (path === '/hash-wasm.js') {
      // For pages that are not a secure context (no WebCrypto): see page-kit's sha256Hex.
      return send(200, 'text/javascript', await readFile(HASH_WASM_FILE));
    }
    if (path === '/peerlane.js' || path === '/peerlane.js.map') {
      const body = await readFile(join(BUNDLE_DIR, path.slice(1))).catch(() => undefined);
      if (!body) return send(404, 'text/plain', 'SDK bundle not built');
      return send(200, path.endsWith('.map') ? 'application/json' : 'text/javascript', body);
    }
    const name = /^\/([a-z][a-z0-9-]*)\.js$/.exec(path)?.[1];
    const code = name && (await pageScript(name));
    if (code) return send(200, 'text/javascript', code);
    send(404, 'text/plain', 'not found');
  }

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    answer(path, request, response).catch((error: unknown) => {
      const text = String(error instanceof Error ? error.stack : error);
      reply(request, response, 500, 'text/plain', text);
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function shell(kind: string, script: string): string {
  // `data:,` as the icon keeps Chromium from requesting /favicon.ico (a console 404).
  return `<!doctype html><html><head><meta charset="utf-8"><title>peerlane e2e: ${kind}</title><link rel="icon" href="data:,"></head><body><script type="module" src="${script}"></script></body></html>`;
}

/**
 * Answers with `body`, or 304 when the browser already has it: every response carries an
 * ETag and must be revalidated, so a page never runs stale code, yet pages of one context
 * reuse what Chromium cached (including V8's compiled code for the 400 KB bundle).
 */
function reply(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Uint8Array,
): void {
  if (response.headersSent) return;
  const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
  const headers = { 'cache-control': 'no-cache', etag };
  if (status === 200 && request.headers['if-none-match'] === etag) {
    response.writeHead(304, headers).end();
    return;
  }
  response.writeHead(status, { ...headers, 'content-type': `${type}; charset=utf-8` });
  response.end(body);
}
