/**
 * The built demo as static files: GET and HEAD only, nothing outside its folder, no
 * directory listings. Each response has a weak ETag (size and mtime; `If-None-Match` →
 * 304), text is compressed (brotli, else gzip, as the client accepts; kept in memory per
 * file version), and HTML may carry a Content-Security-Policy.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/**
 * The demo's policy: its own scripts and styles only (plus compiling WebAssembly: file
 * transfers hash with hash-wasm; and `blob:` scripts, which only this page can make: the
 * SDK's audio worklet for relayed media, where the browser has no track processor —
 * Firefox), media and images also from `blob:` and `data:`,
 * WebSockets to any host (`?signal=` may name another server), and reading back its own
 * `blob:` URLs (received files).
 */
export const DEMO_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self' ws: wss: blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Types worth compressing (images and fonts already are). */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt']);
/** Below this, compression saves less than its headers cost. */
const MIN_COMPRESS_BYTES = 1024;

type Encoding = 'br' | 'gzip';
const compress: Record<Encoding, (data: Buffer) => Promise<Buffer>> = {
  br: (data) =>
    promisify(brotliCompress)(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  gzip: (data) => promisify(gzip)(data, { level: 9 }),
};

/** Options of {@link createStaticFiles}. */
export interface StaticFilesOptions {
  /** The folder served at `/`. */
  root: string;
  /** Content-Security-Policy of HTML responses. @default none */
  csp?: string | undefined;
}

/**
 * Returns `serve(pathname, request, response)`, which answers and resolves true for a
 * file under `root`, or resolves false (nothing sent) when there is no such file.
 */
export function createStaticFiles(options: StaticFilesOptions) {
  const { csp } = options;
  // Resolved, so that a folder given as `dist/demo/` (a trailing slash) is the same folder
  // as `dist/demo`: the containment check below compares it with joined paths, which have none.
  const root = resolve(options.root);
  const inside = root.endsWith(sep) ? root : root + sep;
  /** Compressed bodies by `file encoding etag`; a new version of a file gets a new key. */
  const compressed = new Map<string, Promise<Buffer>>();

  return async function serve(
    pathname: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<boolean> {
    const file = join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
    if (file !== root && !file.startsWith(inside)) return false;
    const found = await stat(file).catch(() => undefined);
    if (!found?.isFile()) return false;
    const extension = extname(file);
    const etag = `W/"${found.size.toString(16)}-${Math.floor(found.mtimeMs).toString(16)}"`;
    const headers: Record<string, string | number> = {
      'content-type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      etag,
      'cache-control': pathname.startsWith('/assets/')
        ? 'public, max-age=31536000, immutable'
        : 'no-cache',
    };
    if (extension === '.html' && csp) headers['content-security-policy'] = csp;
    const compressible = COMPRESSIBLE.has(extension) && found.size >= MIN_COMPRESS_BYTES;
    if (compressible) headers.vary = 'accept-encoding';
    if (request.headers['if-none-match'] === etag) {
      response.writeHead(304, headers);
      response.end();
      return true;
    }
    const encoding = compressible ? chooseEncoding(request.headers['accept-encoding']) : undefined;
    let body: Buffer = await readFile(file);
    if (encoding) {
      const key = `${file} ${encoding} ${etag}`;
      let pending = compressed.get(key);
      if (!pending) {
        pending = compress[encoding](body);
        compressed.set(key, pending);
      }
      body = await pending;
      headers['content-encoding'] = encoding;
    }
    headers['content-length'] = body.length;
    response.writeHead(200, headers);
    response.end(request.method === 'HEAD' ? undefined : body);
    return true;
  };
}

/** brotli when the client takes it, else gzip, else nothing. */
function chooseEncoding(accept: string | undefined): Encoding | undefined {
  const offered = new Set(
    (accept ?? '')
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, q]) => q?.trim() !== 'q=0')
      .map(([name]) => name?.trim().toLowerCase()),
  );
  if (offered.has('br')) return 'br';
  if (offered.has('gzip')) return 'gzip';
  return undefined;
}
