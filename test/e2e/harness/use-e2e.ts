import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { SignalingServerOptions } from '../../../signaling/options.js';
import { createSignalingServer, type SignalingServer } from '../../../signaling/server.js';
import type { PageApis, PageKind } from '../pages/api.js';
import { launchChromium } from './chromium.js';
import { type PageServer, servePages } from './page-server.js';
import { ensureSdkBundle } from './sdk-bundle.js';
import { CONTEXT_OPTIONS, openTestPage, type TestPage } from './test-page.js';

/** Options of {@link useE2e}. */
export interface E2eOptions {
  /** Options of each test's signaling server. @default { port: 0, shutdownTimeoutMs: 1000 } */
  signaling?: SignalingServerOptions;
  /** Build the SDK's browser bundle in `beforeAll`, before any test's clock starts. @default false */
  sdk?: boolean;
  /**
   * Chromium flags after the harness's own (a later flag of the same name wins), e.g.
   * `--use-fake-device-for-media-stream=device-count=2` for two fake cameras. @default []
   */
  launchArgs?: readonly string[];
}

/** The fixtures {@link useE2e} provides; valid inside tests. */
export interface E2e {
  /** The file's Chromium (relaunched if it died, e.g. before a retry). */
  readonly browser: Browser;
  /** This test's signaling server (a fresh one per test). */
  readonly signaling: SignalingServer;
  /** Origin of the test pages. */
  readonly pagesUrl: string;
  /**
   * Opens a test page of `kind` connected to this test's signaling server; it is closed
   * after the test, which fails if the page logged an error it did not allow. Pages of a
   * test share one browser context (cache, permissions, storage) unless `isolated`.
   */
  openPage<K extends PageKind>(
    kind: K,
    options?: { name?: string; isolated?: boolean },
  ): Promise<TestPage<PageApis[K]>>;
  /** A room name no other test of this run uses. */
  room(): string;
  /** Runs `cleanup` after this test: after its pages close, before its signaling server does. */
  defer(cleanup: () => unknown): void;
}

/**
 * Registers the hooks of an end-to-end test file: one Chromium and one page server for the
 * file, a fresh signaling server per test, and every page and deferred cleanup closed after
 * each test. Call it at the top of a `describe`.
 *
 * @example
 * describe('raw WebRTC', { retry: 1 }, () => {
 *   const e2e = useE2e();
 *   it('opens a data channel', async () => {
 *     const a = await e2e.openPage('raw');
 *     await a.api.join(e2e.room());
 *   });
 * });
 */
export function useE2e(options: E2eOptions = {}): E2e {
  let browser: Browser | undefined;
  let pages: PageServer | undefined;
  let signaling: SignalingServer | undefined;
  /** This test's shared browser context, made on first use. */
  let context: BrowserContext | undefined;
  let open: TestPage<unknown>[] = [];
  let cleanups: Array<() => unknown> = [];
  let rooms = 0;

  beforeAll(async () => {
    [browser, pages] = await Promise.all([
      launchChromium({ extraArgs: options.launchArgs ?? [] }),
      servePages(),
      options.sdk ? ensureSdkBundle() : undefined,
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
  });

  beforeEach(async () => {
    signaling = await createSignalingServer({
      port: 0,
      shutdownTimeoutMs: 1000,
      ...options.signaling,
    });
  });

  afterEach(async (test) => {
    const closing = open;
    open = [];
    const errors = closing.flatMap((page) => page.unexpectedErrors());
    if (test.task.result?.state === 'fail') {
      for (const page of closing)
        console.error(`log of page ${page.name}:\n${page.log.join('\n')}`);
    }
    try {
      await Promise.all(closing.map((page) => page.close()));
      await context?.close().catch(() => {});
      context = undefined;
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    } finally {
      cleanups = [];
      await signaling?.close();
    }
    if (errors.length > 0) throw new Error(`pages logged unexpected errors:\n${errors.join('\n')}`);
  });

  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is only available inside a test of useE2e()`);
    return value;
  };

  return {
    get browser() {
      return need(browser, 'e2e.browser');
    },
    get signaling() {
      return need(signaling, 'e2e.signaling');
    },
    get pagesUrl() {
      return need(pages, 'e2e.pagesUrl').url;
    },
    async openPage(kind, { name, isolated = false } = {}) {
      if (!browser?.isConnected()) {
        browser = await launchChromium({ extraArgs: options.launchArgs ?? [] });
        context = undefined;
      }
      if (!isolated) context ??= await browser.newContext(CONTEXT_OPTIONS);
      const page = await openTestPage(isolated ? browser : (context ?? browser), kind, {
        pagesUrl: need(pages, 'e2e.openPage').url,
        signalingUrl: need(signaling, 'e2e.openPage').url,
        name: name ?? `${kind}-${open.length + 1}`,
      });
      open.push(page);
      return page;
    },
    room: () => `e2e-${process.pid}-${++rooms}`,
    defer(cleanup) {
      cleanups.push(cleanup);
    },
  };
}
