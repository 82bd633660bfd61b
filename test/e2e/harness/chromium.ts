import { type Browser, chromium } from 'playwright-core';
import puppeteer, { type Browser as PuppeteerBrowser } from 'puppeteer-core';
import { browserPath } from './browser-path.js';

/** Where Debian's `apt-get install chromium` puts the browser. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * A host name Chromium resolves to 127.0.0.1 and, unlike `127.0.0.1` and `localhost`, does
 * not count as secure: a page served from it is not a secure context (no `crypto.subtle`).
 */
export const INSECURE_HOST = 'insecure.test';

/**
 * Flags that keep Chromium's WebRTC on loopback and quiet (see
 * shared/guide/testing-webrtc.md): fake camera and microphone granted without a prompt,
 * raw `127.0.0.1` host candidates instead of mDNS `uuid.local` ones, every host name but
 * localhost and {@link INSECURE_HOST} unresolvable, and no background traffic of its own.
 *
 * The omnibox popup's WebUI features are off: headless Chromium 156 otherwise loads the
 * address bar's popup (`chrome://omnibox-popup.top-chrome/`) into a renderer of its own for
 * every browser context, ~1.3 s of CPU in its first seconds and more while pages are busy
 * (0.2–0.6 s during each 32 MiB relay transfer of the relay benchmark) — on two cores,
 * taken from whatever the test or benchmark is timing.
 *
 * `--disable-features` must stay last: Playwright adds its own list before ours, and
 * Chromium keeps only the last one.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  `--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1 , MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1`,
  '--disable-features=WebRtcHideLocalIpsWithMdns,WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup',
];

/**
 * The Chromium binary to drive: `$CHROME_PATH` when set, else {@link DEFAULT_CHROMIUM_PATH}.
 * Throws with instructions when it does not exist (Playwright cannot download browsers here).
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return browserPath(
    { name: 'Chromium', variable: 'CHROME_PATH', fallback: DEFAULT_CHROMIUM_PATH, pkg: 'chromium' },
    env,
  );
}

/** Options of {@link launchChromium}. */
export interface LaunchOptions {
  /** Flags added after {@link CHROMIUM_ARGS} (a later `--disable-features` replaces ours). @default [] */
  extraArgs?: readonly string[];
  /** Show the window (needs a display). @default false */
  headed?: boolean;
}

/** Launches the system Chromium headless with {@link CHROMIUM_ARGS}. Close it when done. */
export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: !options.headed,
    args: [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])],
    timeout: 15_000,
  });
}

/**
 * Launches the system Chromium headless with {@link CHROMIUM_ARGS}, driven by puppeteer-core
 * over the DevTools protocol with its Network domain off — for benchmarks of WebSocket
 * traffic. Playwright (and Puppeteer by default) enable that domain on every page, and
 * Chromium then reports every WebSocket frame to the driver with its payload (base64 for
 * binary): a page's WebSocket upload ran at 13 MiB/s here with it, 31 without (the same
 * as a Chromium no driver is attached to). Pages of this browser report no requests.
 */
export function launchUnwatchedChromium(): Promise<PuppeteerBrowser> {
  return puppeteer.launch({
    browser: 'chrome',
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_ARGS],
    networkEnabled: false,
    timeout: 15_000,
    // One evaluate may run for minutes (a benchmark's transfer on a loaded machine).
    protocolTimeout: 15 * 60_000,
  });
}
