/**
 * One interface over the two ways the harness drives a page: Chromium through
 * playwright-core, Firefox through puppeteer-core (WebDriver BiDi). `TestPage` and the
 * tests that must run in either browser use only this; a test that needs more of one
 * driver uses `testPage.page`, typed by its browser.
 */
import type {
  Browser as PwBrowser,
  BrowserContext as PwContext,
  Page as PwPage,
} from 'playwright-core';
import type {
  Browser as PpBrowser,
  BrowserContext as PpContext,
  Page as PpPage,
} from 'puppeteer-core';

/** The browsers a test page can run in. */
export type BrowserName = 'chromium' | 'firefox';

/** The driver's own page object, per browser. */
export interface NativePages {
  chromium: PwPage;
  firefox: PpPage;
}

/**
 * Where a new page goes, per browser: into a browser (the page gets a context of its own,
 * closed with it) or into a given context (a tab sharing its cache and storage).
 */
export type PageTarget =
  | { browser: 'chromium'; in: PwBrowser | PwContext }
  | { browser: 'firefox'; in: PpBrowser | PpContext };

/**
 * Options of every Chromium context the harness makes: camera and microphone granted,
 * which (with the launch flags) makes Chromium offer raw `127.0.0.1` host candidates, not
 * mDNS names. (Firefox gets the same from its preferences.)
 */
export const CONTEXT_OPTIONS = { permissions: ['camera', 'microphone'] };

/**
 * How long a page action (a click, a fill, a locator's wait) waits for what it needs when
 * the test gives no timeout. Shorter than a test's: an element that never comes fails the
 * action, naming its locator, rather than the test timing out without saying where.
 */
export const ACTION_TIMEOUT_MS = 15_000;

/** What the harness does with a page, in any browser. */
export interface PageDriver {
  readonly browser: BrowserName;
  /** Loads `url`; resolves once navigation committed (Chromium) or the DOM is parsed (Firefox). */
  goto(url: string, timeoutMs: number): Promise<void>;
  /** Runs `fn(arg)` in the page; `arg` and the result cross as JSON-like values. */
  evaluate<A, R>(fn: (arg: A) => R, arg: A): Promise<Awaited<R>>;
  /** Polls `fn` in the page until it returns true. */
  waitFor(fn: () => boolean, timeoutMs: number): Promise<void>;
  /** Every console message (`type` as the console method: `log`, `error`…). Returns `off`. */
  onConsole(listener: (type: string, text: string) => void): () => void;
  /** Uncaught exceptions and crashes. Returns `off`. */
  onError(listener: (text: string) => void): () => void;
  /** Types `text` into the form field labelled `label` (replacing its text), like a person. */
  fill(label: string, text: string): Promise<void>;
  /** Clicks the button named `name` (its accessible name), like a person. */
  click(name: string): Promise<void>;
  screenshot(path: string): Promise<void>;
  /** Closes the page, and its own context when it has one. Idempotent, never throws. */
  close(): Promise<void>;
}

/** Both drivers' `evaluate(fn, arg)`, whose own types unwrap element handles in `arg`. */
type Evaluate = PageDriver['evaluate'];

/** A Playwright page; `ownContext` (closed with it) when it is the page's alone. */
export function playwrightDriver(page: PwPage, ownContext?: PwContext): PageDriver {
  return {
    browser: 'chromium',
    async goto(url, timeoutMs) {
      await page.goto(url, { timeout: timeoutMs, waitUntil: 'commit' });
    },
    evaluate: page.evaluate.bind(page) as Evaluate,
    async waitFor(fn, timeoutMs) {
      await page.waitForFunction(fn, undefined, { timeout: timeoutMs });
    },
    onConsole(listener) {
      const on = (message: { type(): string; text(): string }) =>
        listener(message.type(), message.text());
      page.on('console', on);
      return () => page.off('console', on);
    },
    onError(listener) {
      const onError = (error: Error) => listener(`uncaught ${error.stack ?? error.message}`);
      const onCrash = () => listener('the page crashed');
      page.on('pageerror', onError);
      page.on('crash', onCrash);
      return () => {
        page.off('pageerror', onError);
        page.off('crash', onCrash);
      };
    },
    fill: (label, text) => page.getByLabel(label, { exact: true }).fill(text),
    click: (name) => page.getByRole('button', { name, exact: true }).click(),
    async screenshot(path) {
      await page.screenshot({ path });
    },
    async close() {
      await (ownContext ?? page).close().catch(() => {});
    },
  };
}

/** A Puppeteer page; `ownContext` (closed with it) when it is the page's alone. */
export function puppeteerDriver(page: PpPage, ownContext?: PpContext): PageDriver {
  /** Puppeteer's ARIA selector: accessible name and role. */
  const aria = (name: string, role?: string) =>
    `::-p-aria([name=${JSON.stringify(name)}]${role ? `[role="${role}"]` : ''})`;
  return {
    browser: 'firefox',
    async goto(url, timeoutMs) {
      await page.goto(url, { timeout: timeoutMs, waitUntil: 'domcontentloaded' });
    },
    evaluate: page.evaluate.bind(page) as Evaluate,
    async waitFor(fn, timeoutMs) {
      await page.waitForFunction(fn, { timeout: timeoutMs, polling: 50 });
    },
    onConsole(listener) {
      const on = (message: { type(): string; text(): string }) =>
        listener(message.type(), message.text());
      page.on('console', on);
      return () => page.off('console', on);
    },
    onError(listener) {
      const on = (error: unknown) =>
        listener(`uncaught ${error instanceof Error ? (error.stack ?? error.message) : error}`);
      page.on('pageerror', on);
      return () => page.off('pageerror', on);
    },
    // Element handles, not locators: Locator.fill() with an ARIA selector never finds the
    // field in Firefox over BiDi (puppeteer-core 24.43), waitForSelector() does.
    async fill(label, text) {
      const field = await page.waitForSelector(aria(label), { visible: true, timeout: 10_000 });
      if (!field) throw new Error(`no field labelled ${label}`);
      await field.click({ count: 3 }); // selects what is there, so typing replaces it
      await field.type(text);
    },
    async click(name) {
      const button = await page.waitForSelector(aria(name, 'button'), {
        visible: true,
        timeout: 10_000,
      });
      if (!button) throw new Error(`no button named ${name}`);
      await button.click();
    },
    async screenshot(path) {
      await page.screenshot({ path });
    },
    async close() {
      await (ownContext ?? page).close().catch(() => {});
    },
  };
}

/** Opens a blank page in `target`: the driver's own page and the shared interface. */
export async function openBrowserPage<B extends BrowserName>(
  target: PageTarget & { browser: B },
): Promise<{ page: NativePages[B]; driver: PageDriver }>;
export async function openBrowserPage(
  target: PageTarget,
): Promise<{ page: PwPage | PpPage; driver: PageDriver }> {
  if (target.browser === 'chromium') {
    const where = target.in;
    const own = 'newContext' in where ? await where.newContext(CONTEXT_OPTIONS) : undefined;
    const page = await (own ?? (where as PwContext)).newPage();
    page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    return { page, driver: playwrightDriver(page, own) };
  }
  const where = target.in;
  const own = 'createBrowserContext' in where ? await where.createBrowserContext() : undefined;
  // A window, not a tab: Firefox throttles background tabs (timers, video frames).
  const page = await (own ?? (where as PpContext)).newPage({ type: 'window' });
  page.setDefaultTimeout(ACTION_TIMEOUT_MS);
  return { page, driver: puppeteerDriver(page, own) };
}
