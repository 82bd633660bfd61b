/**
 * simple-peer for browsers: `vite build -c vite.simple-peer.config.ts` →
 * `dist/sdk/simple-peer.browser.js`, an ES module of simple-peer with the SDK's stand-ins
 * for the Node modules it requires (see `vite.browser.ts`). package.json's `browser` field
 * puts it in the place of `dist/sdk/simple-peer.js`, so apps that bundle the SDK need no
 * configuration. Not minified: the app's bundler minifies.
 */
import { defineConfig, mergeConfig } from 'vite';
import { simplePeerInBrowser } from './vite.browser.js';

export default defineConfig(
  mergeConfig(simplePeerInBrowser(), {
    publicDir: false,
    envDir: false,
    logLevel: 'warn',
    build: {
      lib: {
        entry: 'sdk/simple-peer.ts',
        formats: ['es'],
        fileName: () => 'simple-peer.browser.js',
      },
      outDir: 'dist/sdk',
      // tsc writes the rest of dist/sdk.
      emptyOutDir: false,
      target: 'es2022',
      minify: false,
    },
  }),
);
