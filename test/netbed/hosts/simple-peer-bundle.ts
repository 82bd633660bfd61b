import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inputKey, ROOT, writeAtomically } from '../../e2e/harness/sdk-bundle.js';

/** simple-peer for browsers, as `npm run build:simple-peer` writes it. */
export const SIMPLE_PEER_BUNDLE = join(ROOT, 'dist/sdk/simple-peer.browser.js');
const KEY_FILE = join(ROOT, 'dist/sdk/.simple-peer-build-key');
const INPUTS = [
  'sdk/simple-peer.ts',
  'sdk/stand-ins',
  'vite.simple-peer.config.ts',
  'vite.browser.ts',
  'package-lock.json',
];

/**
 * Builds {@link SIMPLE_PEER_BUNDLE} (the raw simple-peer baseline's page loads it) unless
 * it is current: the same input key as the SDK bundle's, over its own inputs.
 */
export async function ensureSimplePeerBundle(): Promise<string> {
  const key = await inputKey(INPUTS);
  const built = await readFile(KEY_FILE, 'utf8').catch(() => '');
  if (built === key && existsSync(SIMPLE_PEER_BUNDLE)) return SIMPLE_PEER_BUNDLE;
  const { build } = await import('vite');
  await build({
    configFile: join(ROOT, 'vite.simple-peer.config.ts'),
    root: ROOT,
    logLevel: 'warn',
  });
  await writeAtomically(KEY_FILE, key);
  return SIMPLE_PEER_BUNDLE;
}
