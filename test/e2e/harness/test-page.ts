import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import type { PageApis, PageKind } from '../pages/api.js';

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
export class TestPage<Api> {
  /** The page's API, called through `page.evaluate`. */
  readonly api: Remote<Api>;
  /** Every console message and page error, in order, for the log of a failed test. */
  readonly log: string[] = [];
  readonly #errors: string[] = [];
  readonly #allowed: RegExp[] = [];

  constructor(
    readonly name: string,
    readonly page: Page,
    /** The page's own context, closed with it; undefined when the context is shared. */
    readonly ownContext: BrowserContext | undefined,
  ) {
    page.on('console', (message) => {
      const line = `[${name}] console.${message.type()}: ${message.text()}`;
      this.log.push(line);
      if (message.type() === 'error') this.#errors.push(line);
    });
    page.on('pageerror', (error) => {
      const line = `[${name}] uncaught ${error.stack ?? error.message}`;
      this.log.push(line);
      this.#errors.push(line);
    });
    page.on('crash', () => this.#errors.push(`[${name}] the page crashed`));
    this.api = new Proxy({} as Remote<Api>, {
      get: (_, method) => (typeof method === 'string' ? this.#caller(method) : undefined),
    });
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
  async close(): Promise<void> {
    await (this.ownContext ?? this.page).close().catch(() => {});
  }

  #caller(method: string) {
    return async (...args: unknown[]) => {
      try {
        return await this.page.evaluate(
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
 * Options of every context the harness makes: camera and microphone granted, which (with
 * the launch flags) makes Chromium offer raw `127.0.0.1` host candidates, not mDNS names.
 */
export const CONTEXT_OPTIONS = { permissions: ['camera', 'microphone'] };

/**
 * Opens `/<kind>.html` and waits until the page's API is ready: in a fresh context of its
 * own when given a `Browser`, or as one more tab of a given `BrowserContext` (quicker:
 * the tabs share Chromium's cache, so the SDK bundle is compiled once).
 */
export async function openTestPage<K extends PageKind>(
  target: Browser | BrowserContext,
  kind: K,
  options: OpenPageOptions,
): Promise<TestPage<PageApis[K]>> {
  const ownContext = 'newContext' in target ? await target.newContext(CONTEXT_OPTIONS) : undefined;
  const page = await (ownContext ?? (target as BrowserContext)).newPage();
  const handle = new TestPage<PageApis[K]>(options.name ?? kind, page, ownContext);
  const timeout = options.timeoutMs ?? 10_000;
  // A page whose script fails to load logs an error: give up at once rather than at `timeout`.
  let onError = (_: unknown) => {};
  const failed = new Promise<never>((_, reject) => {
    onError = (error) => reject(new Error(String(error)));
  });
  const onConsole = (message: ConsoleMessage) => {
    if (message.type() === 'error') onError(message.text());
  };
  page.on('console', onConsole);
  page.on('pageerror', onError);
  try {
    const query = new URLSearchParams({ signaling: options.signalingUrl });
    await Promise.race([
      failed,
      (async () => {
        await page.goto(`${options.pagesUrl}/${kind}.html?${query}`, {
          timeout,
          waitUntil: 'commit',
        });
        await page.waitForFunction(() => window.peerlaneTest !== undefined, undefined, { timeout });
      })(),
    ]);
  } catch (error) {
    await handle.close();
    const reason = error instanceof Error ? error.message : String(error);
    const message = `[${handle.name}] the ${kind} page did not load: ${reason}`;
    throw new Error(`${message}\n${handle.log.join('\n')}`, { cause: error });
  }
  page.off('console', onConsole);
  page.off('pageerror', onError);
  return handle;
}
