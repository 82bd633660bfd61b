import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalize } from 'node:path';
import { DEFAULT_OPTIONS } from './options.js';
import { CONTENT_TYPES, createStaticFiles } from './static-files.js';
import { answerUpgradeRequired } from './upgrade-required.js';

/** Options of {@link createHttpHandler}. */
export interface HttpHandlerOptions {
  /** Folder of the built demo, served at `/`. When it has no `index.html`, a placeholder page says so. */
  demoDir: string;
  /** Called by `/healthz` (alive); its result is sent as JSON with status 200. */
  health: () => object;
  /** Called by `/readyz`: 200 when true, 503 when false. */
  ready: () => boolean;
  /** Called by `/metrics`: Prometheus text and its content type. */
  metrics: () => Promise<{ text: string; contentType: string }>;
  /** Content-Security-Policy of the HTML pages under `demoDir` (`DEMO_CSP` for the demo). @default none */
  csp?: string | undefined;
  /**
   * When set, `/metrics` answers 401 unless the request carries `Authorization: Bearer
   * <metricsToken>`, and `/healthz` leaves out its counts for such requests (it still
   * answers 200, for health checks that carry no token). @default undefined (both open)
   */
  metricsToken?: string | undefined;
  /**
   * The signaling WebSocket's path: a plain request to it (someone opening the `ws://` URL
   * as a page) answers 426 and where to connect, not 404. @default the server's default `path`
   */
  signalingPath?: string;
}

const PLACEHOLDER = `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Peerlane</title>
<body style="font:16px system-ui;max-width:40em;margin:4em auto">
<h1>Peerlane signaling server</h1>
<p>The server is running. The demo page has not been built into this folder yet:
run <code>npm run build</code>, then restart.</p>
</body></html>
`;

/**
 * The HTTP side of the CLI: `/healthz`, `/readyz`, `/metrics`, and the built demo as static files
 * (see `static-files.ts`: compressed, with ETags, GET and HEAD only, nothing outside `demoDir`).
 */
export function createHttpHandler(options: HttpHandlerOptions) {
  const serveFile = createStaticFiles({ root: normalize(options.demoDir), csp: options.csp });
  const authorized = bearerCheck(options.metricsToken);
  return (request: IncomingMessage, response: ServerResponse): void => {
    serve(serveFile, options, authorized(request), request, response).catch(() => {
      if (!response.headersSent)
        send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    });
  };
}

async function serve(
  serveFile: ReturnType<typeof createStaticFiles>,
  options: HttpHandlerOptions,
  authorized: boolean,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
  } catch {
    send(response, 400, 'text/plain; charset=utf-8', 'bad request\n');
    return;
  }
  if (pathname === '/healthz') {
    const body = authorized ? { status: 'ok', ...options.health() } : { status: 'ok' };
    send(response, 200, 'application/json', `${JSON.stringify(body)}\n`);
    return;
  }
  if (pathname === '/readyz') {
    const ready = options.ready();
    const body = `${JSON.stringify({ status: ready ? 'ready' : 'not ready' })}\n`;
    send(response, ready ? 200 : 503, 'application/json', body);
    return;
  }
  if (pathname === (options.signalingPath ?? DEFAULT_OPTIONS.path)) {
    answerUpgradeRequired(response, pathname);
    return;
  }
  if (pathname === '/metrics') {
    if (!authorized) {
      response.setHeader('www-authenticate', 'Bearer realm="peerlane metrics"');
      send(response, 401, 'text/plain; charset=utf-8', METRICS_UNAUTHORIZED);
      return;
    }
    const { text, contentType } = await options.metrics();
    send(response, 200, contentType, text);
    return;
  }
  if (await serveFile(pathname, request, response)) return;
  if (pathname === '/' || pathname === '/index.html')
    send(response, 200, CONTENT_TYPES['.html'] ?? '', PLACEHOLDER);
  else send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
}

const METRICS_UNAUTHORIZED =
  'metrics need the header "Authorization: Bearer <token>", with the token of --metrics-token\n';

/**
 * Whether a request carries `Authorization: Bearer <token>`; every request does when
 * there is no token. Compared as SHA-256 digests in constant time, so neither the length
 * nor a prefix of the token leaks through timing.
 */
function bearerCheck(token: string | undefined): (request: IncomingMessage) => boolean {
  if (token === undefined) return () => true;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  const expected = digest(token);
  return (request) => {
    // The scheme's name is case-insensitive (RFC 9110); the token is not.
    const presented = /^bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
    return presented !== undefined && timingSafeEqual(digest(presented), expected);
  };
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
