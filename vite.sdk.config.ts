/**
 * Browser bundle of the SDK: `vite build -c vite.sdk.config.ts` → `dist/browser/peerlane.js`,
 * one ES module with everything inside (simple-peer, its stream polyfills, zod), loadable
 * with `<script type="module">` or `import()` and no bundler.
 *
 * simple-peer is written for Node and browserify, so three things make it run in a page:
 * - `global` → `globalThis` (otherwise: "global is not defined" at load);
 * - `process` and `Buffer`, which readable-stream uses as free variables, are imported
 *   from the npm `process` and `buffer` packages in each module that mentions them
 *   (module-local, no global is patched);
 * - readable-stream's `require('events')` resolves to the npm `events` package. When a
 *   Node built-in has no npm twin installed, Vite swaps in an empty object with only a
 *   warning and the bundle breaks at run time (`Cannot read properties of undefined
 *   (reading 'call')` in `new Peer`), so {@link noEmptyBuiltins} makes that a build error.
 */
import { builtinModules } from 'node:module';
import { defineConfig, type Plugin } from 'vite';

/**
 * Built-ins a package maps to `false` in its own `browser` field because it only uses them
 * when present: readable-stream 3 reads `util.debuglog` and `util.inspect` behind guards.
 */
const OPTIONAL_IN_BROWSER = new Set(['util', 'worker_threads']);

/** Fails the build when a Node built-in would become Vite's empty browser stand-in. */
function noEmptyBuiltins(): Plugin {
  const builtins = new Set(builtinModules);
  return {
    name: 'peerlane:no-empty-builtins',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      const name = source.replace(/^node:/, '');
      if (!builtins.has(name) || OPTIONAL_IN_BROWSER.has(name)) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (resolved?.id.startsWith('__vite-browser-external')) {
        this.error(
          `"${source}" (imported by ${importer ?? 'the entry'}) is a Node built-in with no browser ` +
            `stand-in installed: add the npm package of that name (e.g. \`events\`) to devDependencies.`,
        );
      }
      return resolved;
    },
  };
}

export default defineConfig({
  plugins: [noEmptyBuiltins()],
  // No `public/` copying, no `.env` loading: this build reads only the SDK's sources.
  publicDir: false,
  envDir: false,
  define: {
    global: 'globalThis',
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
    rolldownOptions: {
      transform: {
        inject: {
          process: 'process/browser.js',
          Buffer: ['buffer', 'Buffer'],
        },
      },
    },
  },
});
