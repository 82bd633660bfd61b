/**
 * Browser bundle of the SDK: `vite build -c vite.sdk.config.ts` → `dist/browser/peerlane.js`,
 * one ES module with everything inside (simple-peer, its stream polyfills, zod), loadable
 * with `<script type="module">` or `import()` and no bundler. How simple-peer is made to
 * run in a page: `vite.browser.ts`.
 */
import { defineConfig, mergeConfig } from 'vite';
import { simplePeerInBrowser } from './vite.browser.js';

export default defineConfig(
  mergeConfig(simplePeerInBrowser(), {
    // No `public/` copying, no `.env` loading: this build reads only the SDK's sources.
    publicDir: false,
    envDir: false,
    define: {
      'process.env.NODE_ENV': JSON.stringify('production'),
    },
    build: {
      lib: {
        entry: 'sdk/index.ts',
        formats: ['es'],
        fileName: () => 'peerlane.js',
      },
      outDir: 'dist/browser',
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      // Readable in stack traces; gzip makes up most of the difference.
      minify: false,
    },
  }),
);
