/**
 * How simple-peer is made to run in a page, shared by every Vite build that bundles it:
 * `vite.simple-peer.config.ts` (the prebuilt `dist/sdk/simple-peer.browser.js` that apps
 * get through package.json's `browser` field), `vite.sdk.config.ts` (`peerlane/browser`)
 * and `demo/vite.config.ts`. Merge it in with `mergeConfig(simplePeerInBrowser(), …)`.
 *
 * simple-peer is written for Node and browserify. Instead of polyfilling Node in the page
 * (readable-stream, `events`, `buffer`, `process`, `global`: ~20 KiB gzip and globals to
 * patch), the modules simple-peer requires are replaced, for simple-peer only, by the
 * stand-ins in `sdk/stand-ins/`, which do exactly what simple-peer asks of them.
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Plugin, UserConfig } from 'vite';

const DUPLEX = fileURLToPath(new URL('./sdk/stand-ins/duplex.ts', import.meta.url));
const NODE_BITS = fileURLToPath(new URL('./sdk/stand-ins/node-bits.ts', import.meta.url));

/**
 * What each module simple-peer requires becomes, as CommonJS (simple-peer `require`s them
 * and calls some, e.g. `require('debug')('simple-peer')`, which an ES module namespace
 * would not allow).
 */
const STAND_INS: Record<string, string> = {
  'readable-stream': `module.exports = require(${JSON.stringify(DUPLEX)});`,
  buffer: `module.exports = { Buffer: require(${JSON.stringify(NODE_BITS)}).Buffer };`,
  randombytes: `module.exports = require(${JSON.stringify(NODE_BITS)}).randombytes;`,
  debug: `module.exports = require(${JSON.stringify(NODE_BITS)}).debug;`,
  // Every browser has queueMicrotask; the package would reach for Node's `global` in workers.
  'queue-microtask': 'module.exports = (task) => queueMicrotask(task);',
};

const PREFIX = '\0peerlane-stand-in:';

/** Replaces the Node modules simple-peer requires with the SDK's stand-ins. */
export function simplePeerStandIns(): Plugin {
  return {
    name: 'peerlane:simple-peer-stand-ins',
    enforce: 'pre',
    resolveId(source, importer) {
      const fromSimplePeer = importer?.replaceAll('\\', '/').includes('/node_modules/simple-peer/');
      if (fromSimplePeer && source in STAND_INS) return PREFIX + source;
      return null;
    },
    load(id) {
      return id.startsWith(PREFIX) ? STAND_INS[id.slice(PREFIX.length)] : null;
    },
  };
}

/**
 * Built-ins a package maps to `false` in its own `browser` field because it only uses them
 * when present.
 */
const OPTIONAL_IN_BROWSER = new Set(['util', 'worker_threads']);

/**
 * Fails the build when a Node built-in would become Vite's empty browser stand-in (which
 * only warns, and breaks at run time): a new dependency of simple-peer needs a stand-in.
 */
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
          `"${source}" (imported by ${importer ?? 'the entry'}) is a Node built-in with no ` +
            'browser stand-in: add one to STAND_INS in vite.browser.ts.',
        );
      }
      return resolved;
    },
  };
}

/** The Vite settings that make simple-peer (and so the SDK) work in a browser. */
export function simplePeerInBrowser(): UserConfig {
  return {
    plugins: [simplePeerStandIns(), noEmptyBuiltins()],
    // Dev mode pre-bundles dependencies (simple-peer among them) with its own plugin list.
    optimizeDeps: { rolldownOptions: { plugins: [simplePeerStandIns()] } },
  };
}
