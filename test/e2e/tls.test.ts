/**
 * Browsers over TLS: `peerlane --tls-cert --tls-key` serves a page that loads
 * `peerlane/browser` with a plain `<script type="module">` (no bundler) over https, and
 * two pages join over wss and exchange messages. Chromium trusts the test's self-signed
 * certificate by flag (`--ignore-certificate-errors-spki-list`), nothing else.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../helpers/certificate.js';
import { launchChromium } from './harness/chromium.js';
import { ensureSdkBundle } from './harness/sdk-bundle.js';
import { CONTEXT_OPTIONS } from './harness/test-page.js';

const MAIN = join(import.meta.dirname, '../../signaling/main.ts');

const PAGE = `<!doctype html>
<meta charset="utf-8"><title>tls</title><link rel="icon" href="data:,">
<ul id="messages"></ul>
<script type="module">
  import { joinRoom } from './peerlane.js';
  const name = new URLSearchParams(location.search).get('name');
  const room = await joinRoom({ url: \`wss://\${location.host}/ws\`, room: 'tls' });
  for (const peer of room.peers) peer.send(\`hello from \${name}\`);
  room.on('peer-joined', (peer) => peer.send(\`hello from \${name}\`));
  room.on('message', (data) => {
    const item = document.createElement('li');
    item.textContent = String(data);
    document.querySelector('#messages').append(item);
  });
</script>
`;

let dir: string;
let child: ChildProcess | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlane-tls-e2e-'));
  await copyFile(await ensureSdkBundle(), join(dir, 'peerlane.js'));
  await writeFile(join(dir, 'index.html'), PAGE);
});

afterAll(async () => {
  await browser?.close();
  child?.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('browsers over https and wss', () => {
  it('load peerlane/browser with <script type="module"> and talk over wss', async () => {
    const certificate = await makeCertificate(dir, 'server');
    child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--demo-dir', dir], {
      env: {
        ...process.env,
        LOG_LEVEL: 'silent',
        PEERLANE_TLS_CERT: certificate.certFile,
        PEERLANE_TLS_KEY: certificate.keyFile,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    await expect.poll(() => stderr, { timeout: 10_000 }).toMatch(/listening on https:\/\/\S+/);
    const page = /listening on (https:\/\/\S+)/.exec(stderr)?.[1] ?? '';

    browser = await launchChromium({
      extraArgs: [`--ignore-certificate-errors-spki-list=${certificate.spki}`],
    });
    const context = await browser.newContext(CONTEXT_OPTIONS);
    const errors: string[] = [];
    const tabs: Page[] = [];
    for (const name of ['a', 'b']) {
      const tab = await context.newPage();
      tab.on('pageerror', (error) => errors.push(`${name}: ${error.message}`));
      await tab.goto(`${page}?name=${name}`);
      tabs.push(tab);
    }
    const heard = async (index: number) => {
      const tab = tabs[index];
      if (!tab) throw new Error('no such tab');
      await tab.waitForSelector('#messages li', { timeout: 20_000 });
      return tab.$$eval('#messages li', (items) => items.map((i) => i.textContent));
    };
    expect(await heard(0)).toEqual(['hello from b']);
    expect(await heard(1)).toEqual(['hello from a']);
    expect(errors).toEqual([]);
  }, 60_000);
});
