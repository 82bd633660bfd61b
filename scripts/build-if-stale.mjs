#!/usr/bin/env node
/**
 * `npm start`'s `prestart`: runs `npm run build` only when a source is newer than the
 * oldest build output (or an output is missing), so a start with nothing changed takes
 * well under a second instead of a full build. After a production install (no
 * TypeScript, no Vite) it starts what is built, and says so if the sources are newer.
 *
 *   node scripts/build-if-stale.mjs          build if stale
 *   node scripts/build-if-stale.mjs --check  exit 1 if stale, 0 if current (no build)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What the build reads. Folders are walked (node_modules and dist never are). */
export const SOURCES = [
  'signaling',
  'sdk',
  'demo',
  'vite.browser.ts',
  'vite.sdk.config.ts',
  'vite.simple-peer.config.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
  'package-lock.json',
];

/** What `npm run build` writes, one file per step. */
export const OUTPUTS = [
  'dist/signaling/main.js',
  'dist/sdk/index.js',
  'dist/sdk/simple-peer.browser.js',
  'dist/browser/peerlane.js',
  'dist/demo/index.html',
];

/** Newest modification time under `path` (0 when it does not exist). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** Why a build is needed, or undefined when the outputs are current. */
export function staleReason(root = ROOT) {
  const missing = OUTPUTS.find((file) => !existsSync(join(root, file)));
  if (missing) return `${missing} is missing`;
  const built = Math.min(...OUTPUTS.map((file) => statSync(join(root, file)).mtimeMs));
  const changed = SOURCES.find((source) => newest(join(root, source)) > built);
  return changed ? `${changed} changed since the last build` : undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const reason = staleReason();
  if (process.argv.includes('--check')) process.exit(reason ? 1 : 0);
  if (reason) {
    const canBuild = existsSync(join(ROOT, 'node_modules/.bin/tsc'));
    const built = OUTPUTS.every((file) => existsSync(join(ROOT, file)));
    if (!canBuild && built) {
      console.error(
        `peerlane: ${reason}, but the build tools are not installed; starting the built server`,
      );
    } else if (!canBuild) {
      console.error(
        `peerlane: ${reason} and the build tools are not installed: run \`npm install\`, then \`npm start\``,
      );
      process.exit(1);
    } else {
      console.error(`peerlane: building (${reason})…`);
      const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
      if (build.status !== 0) process.exit(build.status ?? 1);
    }
  }
}
