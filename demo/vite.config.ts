/**
 * The demo page: `vite build -c demo/vite.config.ts` → `dist/demo/` (which `npm start`
 * serves at http://localhost:8080), or `vite -c demo/vite.config.ts` for development:
 * hot reload on http://127.0.0.1:5173 with a signaling server of its own at `/ws` on the
 * same port, so the page works exactly as when `npm start` serves it.
 */
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig, type Plugin } from 'vite';
import { simplePeerInBrowser } from '../vite.browser.js';

/**
 * Dev mode only: a Peerlane signaling server on Vite's own HTTP server at `/ws` (the
 * server leaves Vite's hot-reload WebSocket alone). Vite restarts it when a file under
 * `signaling/` changes, since this config imports it.
 */
function signalingInDev(): Plugin {
  return {
    name: 'peerlane:signaling-in-dev',
    apply: 'serve',
    async configureServer(vite) {
      const http = vite.httpServer as Server | null;
      if (!http) return; // middleware mode: the host application brings its own server
      const { createSignalingServer } = await import('../signaling/server.js');
      // Not awaited: it resolves once Vite's server listens, which is after this hook.
      const starting = createSignalingServer({ server: http, shutdownTimeoutMs: 500 });
      starting
        .then((signaling) => {
          vite.config.logger.info(`  ➜  Signaling: ${signaling.url}`);
          http.once('close', () => void signaling.close());
        })
        .catch((error: unknown) => vite.config.logger.error(`signaling: ${String(error)}`));
    },
  };
}

export default defineConfig(
  mergeConfig(simplePeerInBrowser(), {
    root: fileURLToPath(new URL('.', import.meta.url)),
    // Relative asset URLs: the page works from any path it is served at.
    base: './',
    publicDir: false,
    envDir: false,
    plugins: [signalingInDev()],
    build: {
      outDir: '../dist/demo',
      emptyOutDir: true,
      target: 'es2022',
      // No source maps: the server would publish them (and the sources) to every visitor.
      sourcemap: false,
    },
    server: { host: '127.0.0.1', port: 5173 },
  }),
);
