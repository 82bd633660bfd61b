/**
 * The package as its users get it: `npm pack` (its `prepack` builds), a fresh app installs
 * the tarball, typechecks strictly, bundles with Vite, esbuild and webpack 5 — none
 * configured — and three Chromium pages of that app (one per bundler) and a Node peer
 * exchange messages through `npx peerlane` run from the installed package.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCommand, SERVER_PACKAGES } from '../../signaling/server-packages.js';
import { launchChromium } from './harness/chromium.js';
import {
  APP_HTML,
  addPackages,
  bundleWithWebpack,
  createConsumerProject,
  ESBUILD_PAGE,
  type PackResult,
  packTarball,
  typecheck,
  WEBPACK_PAGE,
} from './harness/consumer-app.js';
import { CONTEXT_OPTIONS } from './harness/test-page.js';

let dir: string;
let pack: PackResult;
const children: ChildProcess[] = [];
/** Started in a process group of their own (`detached`), killed as a group. */
const groups: ChildProcess[] = [];
let browser: Browser | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlane-consumer-'));
  pack = await packTarball(dir);
  await createConsumerProject(dir, pack.filename);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  for (const child of children) child.kill('SIGKILL');
  for (const group of groups) {
    try {
      if (group.pid !== undefined) process.kill(-group.pid, 'SIGKILL');
    } catch {
      // The whole group has exited already.
    }
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts `npx peerlane` in the app; resolves with the page URL it prints. */
async function startServer(demoDir: string): Promise<string> {
  // Its own process group: npx runs the server as a grandchild, which must go with it.
  const child = spawn('npx', ['--no-install', 'peerlane', '--port', '0', '--demo-dir', demoDir], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
    detached: true,
  });
  groups.push(child);
  let said = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npx peerlane said: ${said}`)), 60_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(said);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`npx peerlane exited with ${code}: ${said}`)));
  });
}

describe('the packed package in a fresh app', () => {
  it('holds the built SDK, server, browser bundle and demo, and nothing from the sources', () => {
    const paths = pack.files.map((f) => f.path);
    for (const needed of [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'dist/sdk/index.js',
      'dist/sdk/index.d.ts',
      'dist/sdk/simple-peer.browser.js',
      'dist/signaling/main.js',
      'dist/signaling/bin.js',
      'dist/signaling/index.d.ts',
      'dist/browser/peerlane.js',
      'dist/browser/peerlane.d.ts',
      'dist/demo/index.html',
    ]) {
      expect(paths).toContain(needed);
    }
    const outside = paths.filter(
      (p) =>
        !p.startsWith('dist/') &&
        !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(p),
    );
    expect(outside).toEqual([]);
    // Source maps only where they carry their sources (the browser bundle's); no tests.
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual(['dist/browser/peerlane.js.map']);
    expect(paths.filter((p) => /\.test\.|\.ts$/.test(p) && !p.endsWith('.d.ts'))).toEqual([]);
    console.log(
      `npm pack: ${pack.files.length} files, ${(pack.size / 1024).toFixed(0)} KiB packed, ` +
        `${(pack.unpackedSize / 1024).toFixed(0)} KiB unpacked`,
    );
  });

  it('installs no server-only package for an app that uses the SDK', async () => {
    const installed = await readdir(join(dir, 'node_modules'));
    for (const name of Object.keys(SERVER_PACKAGES)) expect(installed).not.toContain(name);
    const { stdout } = await promisify(execFile)('du', ['-sk', join(dir, 'node_modules')]);
    console.log(
      `npm ci of the tarball: ${installed.filter((n) => !n.startsWith('.')).length} top-level ` +
        `packages, ${(Number.parseInt(stdout, 10) / 1024).toFixed(1)} MiB`,
    );
    // The server says what it needs, in one line.
    const bare = await promisify(execFile)('npx', ['--no-install', 'peerlane'], { cwd: dir }).then(
      () => 'started',
      (error: { code?: number; stderr?: string }) => `${error.code}: ${error.stderr}`,
    );
    expect(bare).toBe(
      `1: peerlane: cannot start: the server needs ${Object.keys(SERVER_PACKAGES).join(', ')}, ` +
        `which are not installed (apps that only use the SDK do not need them): ${installCommand()}\n`,
    );
  }, 60_000);

  it('typechecks with tsc --strict under bundler and nodenext resolution', async () => {
    expect(await typecheck(dir, 'tsconfig.bundler.json')).toBe('');
    expect(await typecheck(dir, 'tsconfig.nodenext.json')).toBe('');
  }, 180_000);

  it('bundles with no config, and pages and a Node peer talk through npx peerlane', async () => {
    const { build } = await import('vite');
    await build({ root: dir, configFile: false, logLevel: 'warn', build: { outDir: 'dist' } });
    const esbuild = await import('esbuild');
    await esbuild.build({
      absWorkingDir: dir,
      entryPoints: ['src/main.ts'],
      bundle: true,
      format: 'esm',
      minify: true,
      outfile: 'dist/esbuild/main.js',
      logLevel: 'warning',
    });
    await writeFile(join(dir, 'dist', ESBUILD_PAGE), APP_HTML('./esbuild/main.js'));
    await bundleWithWebpack(dir);
    await writeFile(join(dir, 'dist', WEBPACK_PAGE), APP_HTML('./webpack/main.js'));
    for (const [bundler, file] of [
      ['vite', await viteScript()],
      ['esbuild', 'esbuild/main.js'],
      ['webpack', 'webpack/main.js'],
    ] as const) {
      const code = await readFile(join(dir, 'dist', file));
      console.log(
        `app bundle (${bundler}, minified): ${(code.length / 1024).toFixed(1)} KiB, ` +
          `${(gzipSync(code, { level: 9 }).length / 1024).toFixed(1)} KiB gzip`,
      );
    }

    // The operator's step: the server's packages beside the SDK.
    await addPackages(dir, pack.filename, Object.keys(SERVER_PACKAGES));
    const page = await startServer(join(dir, 'dist'));
    const room = 'consumer';
    const ws = `${page.replace(/^http/, 'ws')}ws`;
    browser = await launchChromium();
    const context = await browser.newContext(CONTEXT_OPTIONS);
    const errors: string[] = [];
    const open = async (path: string, name: string) => {
      const tab = await context.newPage();
      tab.on('pageerror', (error) => errors.push(`${name}: ${error.message}`));
      await tab.goto(`${page}${path}?room=${room}&name=${name}`);
      return tab;
    };
    const vitePage = await open('', 'vite');
    const esbuildPage = await open(ESBUILD_PAGE, 'esbuild');
    const webpackPage = await open(WEBPACK_PAGE, 'webpack');
    const node = spawn('node', ['node-peer.mjs', ws, room], { cwd: dir, stdio: 'pipe' });
    children.push(node);
    let nodeHeard = '';
    node.stdout.on('data', (chunk: Buffer) => {
      nodeHeard += chunk.toString();
    });
    node.stderr.on('data', (chunk: Buffer) => errors.push(`node: ${chunk.toString()}`));

    const heard = async (tab: typeof vitePage) => {
      await tab.waitForFunction(() => document.querySelectorAll('#messages li').length >= 3, null, {
        timeout: 30_000,
      });
      return tab.$$eval('#messages li', (items) => items.map((i) => i.textContent).sort());
    };
    expect(await heard(vitePage)).toEqual([
      'hello from esbuild',
      'hello from node',
      'hello from webpack',
    ]);
    expect(await heard(esbuildPage)).toEqual([
      'hello from node',
      'hello from vite',
      'hello from webpack',
    ]);
    expect(await heard(webpackPage)).toEqual([
      'hello from esbuild',
      'hello from node',
      'hello from vite',
    ]);
    await expect
      .poll(() => nodeHeard.trim().split('\n').sort(), { timeout: 10_000 })
      .toEqual(['hello from esbuild', 'hello from vite', 'hello from webpack']);
    expect(errors).toEqual([]);
    node.stdin.end();
  }, 240_000);
});

/** The script the Vite build made for `index.html`. */
async function viteScript(): Promise<string> {
  const html = await readFile(join(dir, 'dist/index.html'), 'utf8');
  const src = /<script[^>]+src="\/?([^"]+)"/.exec(html)?.[1];
  if (!src) throw new Error(`no script in the Vite build's index.html:\n${html}`);
  return src;
}
