/**
 * Browser bundle of the SDK: `vite build -c vite.sdk.config.ts` → `dist/browser/peerlane.js`
 * (`peerlane/browser`), one minified ES module with everything inside (simple-peer with the
 * SDK's stand-ins, zod), loadable with `<script type="module">` or `import()` and no
 * bundler. Its types are `dist/browser/peerlane.d.ts` (the SDK's). How simple-peer is made
 * to run in a page: `vite.browser.ts`.
 */
import { defineConfig, mergeConfig, type Plugin } from 'vite';
import { simplePeerInBrowser } from './vite.browser.js';

/** `peerlane/browser`'s types are the SDK's: `dist/browser/peerlane.d.ts` re-exports them. */
function typesOfTheSdk(): Plugin {
  return {
    name: 'peerlane:browser-types',
    apply: 'build',
    generateBundle() {
      this.emitFile({
        type: 'asset',
        fileName: 'peerlane.d.ts',
        source: "export * from '../sdk/index.js';\n",
      });
    },
  };
}

export default defineConfig(
  mergeConfig(simplePeerInBrowser(), {
    // No `public/` copying, no `.env` loading: this build reads only the SDK's sources.
    publicDir: false,
    envDir: false,
    plugins: [typesOfTheSdk()],
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
      // The map carries its sources (sourcesContent), so it is useful where it is shipped.
      sourcemap: true,
      minify: true,
      // One file, as promised: hash-wasm, which the SDK imports only in pages without
      // WebCrypto, is inside too rather than a chunk beside it.
      rollupOptions: { output: { codeSplitting: false } },
    },
  }),
);
