import type { Browser, BrowserContext } from 'playwright-core';
import { CONTEXT_OPTIONS, TestPage } from './test-page.js';

/** The demo page has no test API: tests drive its UI through `page`. */
export type DemoPage = TestPage<Record<string, never>>;

/**
 * Opens the demo at `url#room` (in a fresh context of its own when given a `Browser`, else
 * as a tab of `target`) and waits for its lobby. Console errors and uncaught exceptions
 * are recorded like any test page's (`unexpectedErrors()`).
 */
export async function openDemoPage(
  target: Browser | BrowserContext,
  url: string,
  room: string,
  options: { name: string; timeoutMs?: number },
): Promise<DemoPage> {
  const ownContext = 'newContext' in target ? await target.newContext(CONTEXT_OPTIONS) : undefined;
  const page = await (ownContext ?? (target as BrowserContext)).newPage();
  const handle: DemoPage = new TestPage(options.name, page, ownContext);
  const timeout = options.timeoutMs ?? 10_000;
  try {
    await page.goto(`${url}#${room}`, { timeout });
    await page.locator('#join').waitFor({ state: 'visible', timeout });
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
