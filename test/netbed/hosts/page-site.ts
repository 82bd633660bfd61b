/**
 * The bed's pages as a folder of static files, for the Peerlane server to serve with
 * `--demo-dir` (pages come from the server under test, as an app's would). Page sources
 * keep their place under the repository, so their relative imports work unchanged:
 * `/test/netbed/pages/netbed-page.js` imports `/test/e2e/pages/page-kit.js`, and every
 * page loads the SDK from `/peerlane.js`.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from '../../e2e/harness/sdk-bundle.js';

/** A page kind: `/<kind>.html` runs `test/netbed/pages/<kind>-page.ts`. */
export type SitePage = 'netbed' | 'simple-peer' | 'media-bench';

/** TypeScript sources the pages are made of, relative to the repository. */
const SOURCES = [
  'test/netbed/pages/netbed-page.ts',
  'test/netbed/pages/simple-peer-page.ts',
  'test/netbed/pages/media-bench-page.ts',
  'test/netbed/pages/camera-worker.ts',
  'test/netbed/pages/frame-stamp.ts',
  'test/netbed/pages/tile-watch.ts',
  'test/e2e/pages/page-kit.ts',
  'test/e2e/pages/pattern.ts',
];

/** A built site; `remove()` deletes the folder. */
export interface PageSite {
  readonly dir: string;
  remove(): Promise<void>;
}

/**
 * Writes the site into a fresh temporary folder: every source transpiled to `.js` at its
 * own path, an HTML shell per page kind, and the built browser bundles (`dist/browser/peerlane.js`,
 * `dist/sdk/simple-peer.browser.js`; build them first: `ensureSdkBundle()`, `ensureSimplePeerBundle()`).
 */
export async function buildPageSite(): Promise<PageSite> {
  const dir = await mkdtemp(join(tmpdir(), 'peerlane-netbed-site-'));
  const { transformWithOxc } = await import('vite');
  for (const source of SOURCES) {
    const file = join(ROOT, source);
    const { code } = await transformWithOxc(await readFile(file, 'utf8'), file, {
      lang: 'ts',
      target: 'es2022',
    });
    const out = join(dir, source.replace(/\.ts$/, '.js'));
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, code);
  }
  for (const kind of ['netbed', 'simple-peer', 'media-bench'] satisfies SitePage[]) {
    await writeFile(join(dir, `${kind}.html`), shell(kind));
  }
  await copyFile(join(ROOT, 'dist/browser/peerlane.js'), join(dir, 'peerlane.js'));
  await copyFile(join(ROOT, 'dist/sdk/simple-peer.browser.js'), join(dir, 'simple-peer.js'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

function shell(kind: SitePage): string {
  const script = `/test/netbed/pages/${kind}-page.js`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>peerlane netbed: ${kind}</title><link rel="icon" href="data:,"></head><body><script type="module" src="${script}"></script></body></html>`;
}
