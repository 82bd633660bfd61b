/**
 * What simple-peer needs to run in a page, shared by every Vite build that bundles the
 * SDK: `vite.sdk.config.ts` (the SDK's browser bundle) and `demo/vite.config.ts` (the demo,
 * built and in `vite` dev mode). Merge it in with `mergeConfig(simplePeerInBrowser(), …)`.
 *
 * simple-peer is written for Node and browserify, so three things make it run in a page:
 * - `global` → `globalThis` (otherwise: "global is not defined" at load);
 * - `process` and `Buffer`, which readable-stream uses as free variables, are imported
 *   from the npm `process` and `buffer` packages in each module that mentions them
 *   (module-local, no global is patched) — in builds, and in dev mode's dependency
 *   pre-bundling;
 * - readable-stream's `require('events')` resolves to the npm `events` package. When a
 *   Node built-in has no npm twin installed, Vite swaps in an empty object with only a
 *   warning and the bundle breaks at run time (`Cannot read properties of undefined
 *   (reading 'call')` in `new Peer`), so {@link noEmptyBuiltins} makes that a build error.
 */
import { builtinModules } from 'node:module';
import type { Plugin, UserConfig } from 'vite';

/**
 * Built-ins a package maps to `false` in its own `browser` field because it only uses them
 * when present: readable-stream 3 reads `util.debuglog` and `util.inspect` behind guards.
 */
const OPTIONAL_IN_BROWSER = new Set(['util', 'worker_threads']);

/** Module-local stand-ins for the free variables `process` and `Buffer`. */
const INJECT = {
  process: 'process/browser.js',
  Buffer: ['buffer', 'Buffer'],
} satisfies Record<string, string | [string, string]>;

/** Fails the build when a Node built-in would become Vite's empty browser stand-in. */
export function noEmptyBuiltins(): Plugin {
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

/** The Vite settings that make simple-peer (and so the SDK) work in a browser. */
export function simplePeerInBrowser(): UserConfig {
  return {
    plugins: [noEmptyBuiltins()],
    define: { global: 'globalThis' },
    build: { rolldownOptions: { transform: { inject: INJECT } } },
    optimizeDeps: {
      rolldownOptions: { transform: { inject: INJECT, define: { global: 'globalThis' } } },
    },
  };
}
