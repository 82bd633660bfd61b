import type { Page } from 'playwright-core';
import type { PageApis, PageKind } from '../pages/api.js';
import {
  type BrowserName,
  type NativePages,
  openBrowserPage,
  type PageDriver,
  type PageTarget,
} from './page-driver.js';

export { CONTEXT_OPTIONS } from './page-driver.js';

/** `Api` as seen from Node: every method returns a promise of its (serialized) result. */
export type Remote<Api> = {
  [K in keyof Api]: Api[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/** Options of {@link openTestPage}. */
export interface OpenPageOptions {
  /** Origin of the page server (`servePages().url`). */
  pagesUrl: string;
  /** The signaling server's WebSocket URL, handed to the page as `?signaling=`. */
  signalingUrl: string;
  /** Label used in error messages and logs. @default the page kind */
  name?: string;
  /** How long the page may take to load and set `window.peerlaneTest`, in ms. @default 10000 */
  timeoutMs?: number;
}

/**
 * One test page. `api` calls the page's `window.peerlaneTest`
 * (typed by {@link PageApis}); every console error and uncaught exception is recorded, and
 * {@link TestPage.close} reports the ones not allowed with {@link TestPage.allowErrors}.
 */
export class TestPage<Api, P = Page> {
  /** The page's API, called through `page.evaluate`. */
  readonly api: Remote<Api>;
  /** Every console message and page error, in order, for the log of a failed test. */
  readonly log: string[] = [];
  readonly #errors: string[] = [];
  readonly #allowed: RegExp[] = [];

  constructor(
    readonly name: string,
    /** The driver's own page: Playwright's for Chromium, Puppeteer's for Firefox. */
    readonly page: P,
    /** The same page behind the interface both drivers share. */
    readonly driver: PageDriver,
  ) {
    driver.onConsole((type, text) => {
      const line = `[${name}] console.${type}: ${text}`;
      this.log.push(line);
      if (type === 'error') this.#errors.push(line);
    });
    driver.onError((text) => {
      const line = `[${name}] ${text}`;
      this.log.push(line);
      this.#errors.push(line);
    });
    this.api = new Proxy({} as Remote<Api>, {
      get: (_, method) => (typeof method === 'string' ? this.#caller(method) : undefined),
    });
  }

  /** Which browser the page runs in. */
  get browser(): PageDriver['browser'] {
    return this.driver.browser;
  }

  /** Console errors and page errors matching one of `patterns` will not fail the test. */
  allowErrors(...patterns: RegExp[]): void {
    this.#allowed.push(...patterns);
  }

  /** Errors so far that no {@link allowErrors} pattern covers. */
  unexpectedErrors(): string[] {
    return this.#errors.filter((line) => !this.#allowed.some((pattern) => pattern.test(line)));
  }

  /** Closes the page (and its own context, if it has one); idempotent. */
  close(): Promise<void> {
    return this.driver.close();
  }

  #caller(method: string) {
    return async (...args: unknown[]) => {
      try {
        return await this.driver.evaluate(
          ({ method, args }) => {
            const api = window.peerlaneTest as Record<string, unknown> | undefined;
            const fn = api?.[method];
            if (typeof fn !== 'function') throw new Error(`the page has no peerlaneTest.${method}`);
            return fn.apply(api, args);
          },
          { method, args },
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`[${this.name}] ${method}(): ${message}`, { cause: error });
      }
    };
  }
}

/**
 * Opens `/<kind>.html` in `target` and waits until the page's API is ready. In a browser
 * the page gets a fresh context of its own; in a context it is one more tab (quicker:
 * the tabs share the cache, so the SDK bundle is compiled once).
 */
export async function openTestPage<K extends PageKind, B extends BrowserName>(
  target: PageTarget & { browser: B },
  kind: K,
  options: OpenPageOptions,
): Promise<TestPage<PageApis[K], NativePages[B]>> {
  const { page, driver } = await openBrowserPage<B>(target);
  const handle = new TestPage<PageApis[K], NativePages[B]>(options.name ?? kind, page, driver);
  const timeout = options.timeoutMs ?? 10_000;
  // A page whose script fails to load logs an error: give up at once rather than at `timeout`.
  let onError = (_: unknown) => {};
  const failed = new Promise<never>((_, reject) => {
    onError = (error) => reject(new Error(String(error)));
  });
  const offConsole = driver.onConsole((type, text) => {
    if (type === 'error') onError(text);
  });
  const offError = driver.onError(onError);
  try {
    const query = new URLSearchParams({ signaling: options.signalingUrl });
    await Promise.race([
      failed,
      (async () => {
        await driver.goto(`${options.pagesUrl}/${kind}.html?${query}`, timeout);
        await driver.waitFor(() => window.peerlaneTest !== undefined, timeout);
      })(),
    ]);
  } catch (error) {
    await handle.close();
    const reason = error instanceof Error ? error.message : String(error);
    const message = `[${handle.name}] the ${kind} page did not load: ${reason}`;
    throw new Error(`${message}\n${handle.log.join('\n')}`, { cause: error });
  } finally {
    offConsole();
    offError();
  }
  return handle;
}
