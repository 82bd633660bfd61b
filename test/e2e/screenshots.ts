/**
 * Screenshots of the demo's key states at desktop (1280×800) and phone (390×844) size, for
 * reviewers to look at: `npm run screenshots` → `test-results/screenshots/*.png`.
 * Real Chromium, a real server on 127.0.0.1, fake camera and screen; run it inside a
 * loopback-only namespace like the tests:
 *   unshare -n sh -c 'ip link set lo up && npm run screenshots'
 * A person whose network vanishes is a Chromium of its own, frozen (SIGSTOP).
 */
import { mkdir } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchFreezableChromium } from './harness/freezable-chromium.js';
import { CONTEXT_OPTIONS, ensureDemoBuild, launchChromium, serveDemo } from './harness/index.js';
import { ROOT } from './harness/sdk-bundle.js';

const OUT = joinPath(ROOT, 'test-results/screenshots');
const SIZES = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: {
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
  },
} as const;
type Size = keyof typeof SIZES;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 100 ms until it is true; throws saying `what` after `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await pause(100);
  }
  throw new Error(`screenshots: timed out waiting for ${what}`);
}

async function shot(page: Page, size: Size, name: string): Promise<void> {
  const path = joinPath(OUT, `${size}-${name}.png`);
  await page.screenshot({ path });
  console.log(`  ${path}`);
}

async function open(
  target: Browser,
  size: Size,
  url: string,
  room: string,
): Promise<{ page: Page; context: BrowserContext }> {
  const context = await target.newContext({ ...CONTEXT_OPTIONS, ...SIZES[size] });
  const page = await context.newPage();
  await page.goto(`${url}#${room}`);
  await page.locator('#join').waitFor();
  return { page, context };
}

async function joinCall(page: Page, name: string): Promise<void> {
  await page.fill('#name', name);
  await page.getByRole('button', { name: 'Join call' }).click();
  await page.locator('#call').waitFor({ state: 'visible' });
}

const tiles = (page: Page) => page.locator('#grid .tile').count();

async function run(size: Size, browser: Browser, url: string): Promise<void> {
  console.log(`${size}:`);
  const room = `screens-${size}`;
  const alice = await open(browser, size, url, room);
  await until('the preview', () => alice.page.locator('#preview-status').isHidden());
  await shot(alice.page, size, '01-lobby');
  await joinCall(alice.page, 'Ada');
  await alice.page.getByRole('heading', { name: 'Waiting for others' }).waitFor();
  await pause(500);
  await shot(alice.page, size, '02-alone-link-and-qr');

  // Bob in a Chromium of his own, to freeze later.
  const frozen = await launchFreezableChromium();
  try {
    const bob = await open(frozen.browser, size, url, room);
    await joinCall(bob.page, 'Bob');
    await until('two tiles', async () => (await tiles(alice.page)) === 2);
    await until(
      'a direct badge',
      async () => (await alice.page.locator('.badge[data-kind="direct"]').count()) === 1,
    );
    // Through the form (on a phone the chat panel is closed).
    await bob.page.evaluate(() => {
      const input = document.getElementById('chat-input') as HTMLInputElement;
      input.value = 'Hi Ada! Can you see me?';
      (document.getElementById('chat-form') as HTMLFormElement).requestSubmit();
    });
    await pause(1500);
    await shot(alice.page, size, '03-call-direct');

    // A file offer, waiting for consent.
    await bob.page.evaluate(() => {
      const bytes = new Uint8Array(3_400_000);
      const file = new File([bytes], 'holiday-photos.zip', { type: 'application/zip' });
      const transfer = new DataTransfer();
      transfer.items.add(file);
      const side = document.getElementById('side');
      side?.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, cancelable: true }));
    });
    if (size === 'phone') await alice.page.getByRole('button', { name: /^Chat/ }).click();
    await alice.page.getByRole('button', { name: 'Accept holiday-photos.zip' }).waitFor();
    await shot(alice.page, size, '04-file-offer');
    await alice.page.getByRole('button', { name: 'Decline holiday-photos.zip' }).click();
    if (size === 'phone') await alice.page.getByRole('button', { name: 'Close chat' }).click();

    // The connection panel.
    await alice.page.getByRole('button', { name: /^Connection to Bob/ }).click();
    await pause(2500); // bitrates need two samples
    await shot(alice.page, size, '05-connection-panel');
    await alice.page.keyboard.press('Escape');

    // Presenter view (the fake screen).
    await bob.page.getByRole('button', { name: 'Share screen' }).click();
    await until(
      'the presenter view',
      async () => (await alice.page.locator('.tile.spotlight').count()) === 1,
    );
    await pause(1500);
    await shot(alice.page, size, '06-presenter');
    await bob.page.getByRole('button', { name: 'Stop sharing' }).click();

    // Bob's network vanishes.
    frozen.freeze();
    await until(
      'the lost notice',
      async () => (await alice.page.locator('[data-notice^="lost-"]').count()) === 1,
    );
    await shot(alice.page, size, '07-connection-lost');
  } finally {
    frozen.kill();
  }

  // Relay only: Carol ticks the setting in the lobby.
  const relayRoom = `${room}-relay`;
  const carol = await open(browser, size, url, relayRoom);
  await carol.page.getByText('Connection settings').click();
  await carol.page.getByRole('checkbox', { name: 'Use the relay only' }).check();
  await shot(carol.page, size, '08-lobby-relay-only');
  await joinCall(carol.page, 'Carol');
  const dave = await open(browser, size, url, relayRoom);
  await joinCall(dave.page, 'Dave');
  await until(
    'a relay badge',
    async () => (await dave.page.locator('.badge[data-kind="relay"]').count()) === 1,
  );
  await pause(500);
  await shot(dave.page, size, '09-relayed-person');

  // The logo asks before leaving.
  await dave.page.getByRole('link', { name: 'Peerlane: start a new call' }).click();
  await dave.page.getByRole('dialog', { name: 'Leave this call?' }).waitFor();
  await shot(dave.page, size, '10-leave-dialog');
  for (const { context } of [alice, carol, dave]) await context.close();
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  await ensureDemoBuild();
  const server = await serveDemo();
  const browser = await launchChromium();
  try {
    for (const size of Object.keys(SIZES) as Size[]) await run(size, browser, server.url);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
