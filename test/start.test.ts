/**
 * `npm start` builds only when needed: `scripts/build-if-stale.mjs` compares the newest
 * source with the oldest build output.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OUTPUTS, SOURCES, staleReason } from '../scripts/build-if-stale.mjs';

let root: string;

async function touch(path: string, seconds: number): Promise<void> {
  const file = join(root, path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, '');
  await utimes(file, seconds, seconds);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'peerlane-start-'));
  await touch('signaling/server.ts', 1000);
  await touch('sdk/deep/file.ts', 1000);
  await touch('package.json', 1000);
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('build-if-stale', () => {
  it('builds when an output is missing', async () => {
    expect(staleReason(root)).toBe(`${OUTPUTS[0]} is missing`);
  });

  it('does not build when every output is newer than every source', async () => {
    for (const output of OUTPUTS) await touch(output, 2000);
    expect(staleReason(root)).toBeUndefined();
  });

  it('builds when a source, however deep, is newer than the oldest output', async () => {
    for (const output of OUTPUTS) await touch(output, 2000);
    await touch(OUTPUTS[2] ?? '', 1500);
    await touch('sdk/deep/file.ts', 1600);
    expect(staleReason(root)).toBe('sdk changed since the last build');
  });

  it('watches the build configuration too', () => {
    expect(SOURCES).toEqual(
      expect.arrayContaining([
        'vite.simple-peer.config.ts',
        'tsconfig.build.json',
        'package-lock.json',
      ]),
    );
  });
});
