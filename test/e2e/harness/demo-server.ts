import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpHandler } from '../../../signaling/http.js';
import type { SignalingServerOptions } from '../../../signaling/options.js';
import { createSignalingServer, type SignalingServer } from '../../../signaling/server.js';
import { DEMO_CSP } from '../../../signaling/static-files.js';
import { DEMO_DIR } from './demo-build.js';

/** The built demo and a signaling server on one origin, as `npm start` serves them. */
export interface DemoServer {
  /** The demo page, e.g. `http://127.0.0.1:41234/` (add `#room`). */
  readonly url: string;
  /** The signaling server at `/ws` of the same origin (replaced by {@link restartSignaling}). */
  readonly signaling: SignalingServer;
  /** Stops the signaling server; the page stays served. Clients see the socket drop. */
  stopSignaling(): Promise<void>;
  /** Starts a fresh signaling server at `/ws` again (a new process would look the same: no rooms). */
  restartSignaling(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves `dist/demo` (build it first: `ensureDemoBuild()`) on `127.0.0.1`, port 0, with
 * the CLI's own HTTP handler, and a signaling server attached to the same HTTP server.
 */
export async function serveDemo(options: SignalingServerOptions = {}): Promise<DemoServer> {
  let signaling: SignalingServer | undefined;
  const http: Server = createServer(
    createHttpHandler({
      demoDir: DEMO_DIR,
      // As `npm start` serves it: the demo tests run under its Content-Security-Policy.
      csp: DEMO_CSP,
      health: () => signaling?.stats() ?? {},
      ready: () => signaling?.ready() ?? false,
      metrics: async () => ({ text: '', contentType: 'text/plain' }),
    }),
  );
  await new Promise<void>((ready) => http.listen(0, '127.0.0.1', ready));
  const start = () => createSignalingServer({ shutdownTimeoutMs: 1000, ...options, server: http });
  signaling = await start();
  const { port } = http.address() as AddressInfo;
  const current = () => {
    if (!signaling) throw new Error('the demo server is closed');
    return signaling;
  };
  return {
    url: `http://127.0.0.1:${port}/`,
    get signaling() {
      return current();
    },
    stopSignaling: () => current().close(),
    async restartSignaling() {
      await current().close();
      signaling = await start();
    },
    async close() {
      await signaling?.close();
      http.closeAllConnections();
      await new Promise<void>((done) => http.close(() => done()));
    },
  };
}
