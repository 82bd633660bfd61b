import type { Browser, Page } from 'playwright-core';
import { launchChromium, servePages } from '../../e2e/harness/index.js';

/**
 * Runs `work` in one headless Chromium page that is a secure context (WebCrypto is
 * there), served by the test page server (the page itself is a 404), then closes both.
 * tsx compiles benchmarks keeping function names through a `__name` helper, which a
 * function handed to `page.evaluate` calls in the page: the page gets one.
 */
export async function inSecurePage<T>(work: (page: Page, browser: Browser) => Promise<T>) {
  const pages = await servePages();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${pages.url}/`);
    await page.evaluate('globalThis.__name = (fn) => fn');
    return await work(page, browser);
  } finally {
    await browser.close();
    await pages.close();
  }
}
