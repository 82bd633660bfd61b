/**
 * The Dockerfile's build stage, without a Docker engine: copies exactly the files its
 * COPY lines name into an empty folder, gives it the dependencies `npm ci` would install
 * (this checkout's node_modules), and runs its build. A file the build reads but the
 * Dockerfile forgets (as `vite.browser.ts` once was) fails here.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { OUTPUTS } from '../scripts/build-if-stale.mjs';

const ROOT = join(import.meta.dirname, '..');
let dir: string | undefined;
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

/** The sources of the COPY lines of the first stage (not `COPY --from=…`). */
function buildStageCopies(dockerfile: string): string[] {
  const stage = dockerfile.split(/^FROM /m)[1] ?? '';
  return stage
    .split('\n')
    .filter((line) => /^COPY\s/.test(line) && !line.includes('--from'))
    .flatMap((line) => line.trim().split(/\s+/).slice(1, -1));
}

describe('Dockerfile', () => {
  it('builds the server, SDK and demo from exactly the files it copies', async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/RUN npm run build/);
    const copies = buildStageCopies(dockerfile);
    expect(copies).toContain('package-lock.json');
    dir = await mkdtemp(join(tmpdir(), 'peerlane-docker-'));
    for (const path of copies) await cp(join(ROOT, path), join(dir, path), { recursive: true });
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await promisify(execFile)('npm', ['run', 'build'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
    for (const output of OUTPUTS) await expect(readFile(join(dir, output))).resolves.toBeTruthy();
    // The image runs what the build made.
    const command = /^CMD \["node", "([^"]+)"\]/m.exec(dockerfile)?.[1];
    expect(OUTPUTS).toContain(command);
  }, 180_000);

  it('runs on a maintained Node LTS line', async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    const majors = [...dockerfile.matchAll(/^FROM node:(\d+)/gm)].map((m) => Number(m[1]));
    expect(majors.length).toBe(2);
    // Even majors are LTS lines; 20 ended in April 2026, 22 ends in April 2027.
    for (const major of majors) expect(major % 2 === 0 && major >= 24).toBe(true);
  });
});
