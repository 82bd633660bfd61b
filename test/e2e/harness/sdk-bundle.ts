import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where `vite build -c vite.sdk.config.ts` writes the browser bundle. */
export const BUNDLE_DIR = join(ROOT, 'dist/browser');
/** The browser bundle of the SDK: one ESM file, simple-peer and zod included. */
export const BUNDLE_FILE = join(BUNDLE_DIR, 'peerlane.js');
const CONFIG_FILE = join(ROOT, 'vite.sdk.config.ts');
const KEY_FILE = join(BUNDLE_DIR, '.build-key');

/**
 * Everything the bundle is made from: when none of these changed, the bundle is current.
 * npm rewrites `node_modules/.package-lock.json` on every install, so a dependency that
 * changed without the lockfile changing still triggers a rebuild.
 */
const INPUTS = [
  'sdk',
  'signaling/protocol.ts',
  'vite.sdk.config.ts',
  'vite.browser.ts',
  'package-lock.json',
  'node_modules/.package-lock.json',
];

let pending: Promise<string> | undefined;

/**
 * Makes sure {@link BUNDLE_FILE} is built from the current sources and returns its path.
 * Rebuilds only when a file under `sdk/` (or the protocol, the Vite config, the lockfile)
 * changed since the last build — the key is every input's path, size and mtime — so after
 * the first run it costs a few `stat`s. Once per process; safe to call from parallel
 * processes (each writes whole files by rename, and the output is the same).
 */
export function ensureSdkBundle(): Promise<string> {
  pending ??= build().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function build(): Promise<string> {
  if (!existsSync(join(ROOT, 'sdk/index.ts'))) {
    throw new Error('sdk/index.ts does not exist yet: there is no SDK to bundle for the browser');
  }
  const key = await inputKey(INPUTS);
  const built = await readFile(KEY_FILE, 'utf8').catch(() => '');
  if (built === key && existsSync(BUNDLE_FILE)) return BUNDLE_FILE;

  const { build: viteBuild } = await import('vite');
  const result = await viteBuild({
    configFile: CONFIG_FILE,
    root: ROOT,
    logLevel: 'warn',
    build: { write: false },
  });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) =>
    'output' in r ? r.output : [],
  );
  if (!outputs.some((o) => join(BUNDLE_DIR, o.fileName) === BUNDLE_FILE)) {
    throw new Error(`vite.sdk.config.ts produced no ${relative(ROOT, BUNDLE_FILE)}`);
  }
  await mkdir(BUNDLE_DIR, { recursive: true });
  for (const output of outputs) {
    await writeAtomically(
      join(BUNDLE_DIR, output.fileName),
      output.type === 'chunk' ? output.code : output.source,
    );
  }
  await writeAtomically(KEY_FILE, key);
  return BUNDLE_FILE;
}

/**
 * A key of `inputs` (paths under the repository, files or folders): every file's path,
 * size and mtime. Equal keys mean nothing changed.
 */
export async function inputKey(inputs: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const input of inputs) {
    for (const file of await listFiles(join(ROOT, input))) {
      const info = await stat(file);
      hash.update(`${relative(ROOT, file)}\0${info.size}\0${info.mtimeMs}\n`);
    }
  }
  return hash.digest('hex');
}

async function listFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return [];
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(
    entries.sort((a, b) => a.name.localeCompare(b.name)).map((e) => listFiles(join(path, e.name))),
  );
  return nested.flat();
}

/** Writes `path` whole or not at all (another process may be reading it). */
export async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}
