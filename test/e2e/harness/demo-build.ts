import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { inputKey, ROOT, writeAtomically } from './sdk-bundle.js';

/** Where `vite build -c demo/vite.config.ts` writes the demo (what `npm start` serves). */
export const DEMO_DIR = join(ROOT, 'dist/demo');
/** Outside `DEMO_DIR`: the signaling server would serve it, and the build empties that folder. */
const KEY_FILE = join(ROOT, 'dist/.demo-build-key');

/** Everything the demo is built from. */
const INPUTS = [
  'demo',
  'sdk',
  'signaling/protocol.ts',
  'vite.browser.ts',
  'package-lock.json',
  'node_modules/.package-lock.json',
];

let pending: Promise<string> | undefined;

/**
 * Makes sure {@link DEMO_DIR} holds a build of the current sources and returns its path:
 * runs the demo's own Vite build (as `npm run build` does) only when a file under `demo/`
 * or `sdk/` (or the protocol, the shared Vite settings, the lockfile) changed since the
 * last one — after that it costs a few `stat`s. Once per process. Vitest's `chromium`
 * project runs it in `global-setup.ts`, before any test file, so files never build it
 * side by side.
 */
export function ensureDemoBuild(): Promise<string> {
  pending ??= build().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function build(): Promise<string> {
  const key = await inputKey(INPUTS);
  const built = await readFile(KEY_FILE, 'utf8').catch(() => '');
  if (built === key && existsSync(join(DEMO_DIR, 'index.html'))) return DEMO_DIR;
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: join(ROOT, 'demo/vite.config.ts'), logLevel: 'warn' });
  if (!existsSync(join(DEMO_DIR, 'index.html'))) {
    throw new Error('demo/vite.config.ts produced no dist/demo/index.html');
  }
  await mkdir(dirname(KEY_FILE), { recursive: true });
  await writeAtomically(KEY_FILE, key);
  return DEMO_DIR;
}
