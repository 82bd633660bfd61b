import type { Page } from 'playwright-core';
import {
  type BrowserName,
  type NativePages,
  openBrowserPage,
  type PageTarget,
} from './page-driver.js';
import { TestPage } from './test-page.js';

/** The demo page has no test API: tests drive its UI through `page` (or `driver`). */
export type DemoPage<P = Page> = TestPage<Record<string, never>, P>;

/**
 * Opens the demo at `url#room` in `target` (a fresh context of its own when given a
 * browser, else a tab of the context) and waits for its lobby. Console errors and
 * uncaught exceptions are recorded like any test page's (`unexpectedErrors()`).
 */
export async function openDemoPage<B extends BrowserName>(
  target: PageTarget & { browser: B },
  url: string,
  room: string,
  options: { name: string; timeoutMs?: number },
): Promise<DemoPage<NativePages[B]>> {
  const { page, driver } = await openBrowserPage<B>(target);
  const handle: DemoPage<NativePages[B]> = new TestPage(options.name, page, driver);
  const timeout = options.timeoutMs ?? 10_000;
  try {
    await driver.goto(`${url}#${room}`, timeout);
    // The lobby is in the HTML; the room's name is written by the page's script: both
    // there means the page is ready (goto returns at commit, before scripts ran).
    await driver.waitFor(() => {
      const join = document.querySelector<HTMLElement>('#join');
      const room = document.querySelector('#room-name')?.textContent ?? '';
      return join?.checkVisibility() === true && room !== '';
    }, timeout);
  } catch (error) {
    await handle.close();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `[${options.name}] the demo did not load: ${reason}\n${handle.log.join('\n')}`,
      {
        cause: error,
      },
    );
  }
  return handle;
}
