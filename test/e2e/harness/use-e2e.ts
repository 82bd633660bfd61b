import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { SignalingServerOptions } from '../../../signaling/options.js';
import { createSignalingServer, type SignalingServer } from '../../../signaling/server.js';
import type { PageApis, PageKind } from '../pages/api.js';
import { launchChromium } from './chromium.js';
import { ensureDemoBuild } from './demo-build.js';
import { type DemoPage, openDemoPage } from './demo-page.js';
import { type DemoServer, serveDemo } from './demo-server.js';
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
  /**
   * Serve the demo (built in `beforeAll` when its sources changed) from each test's
   * signaling server, on one origin as `npm start` does: see `e2e.demo`, `e2e.openDemo`.
   * @default false
   */
  demo?: boolean;
}

/** The fixtures {@link useE2e} provides; valid inside tests. */
export interface E2e {
  /** The file's Chromium (relaunched if it died, e.g. before a retry). */
  readonly browser: Browser;
  /** This test's signaling server (a fresh one per test). */
  readonly signaling: SignalingServer;
  /** With `demo: true`: this test's server of the built demo (its `signaling` is `e2e.signaling`). */
  readonly demo: DemoServer;
  /**
   * With `demo: true`: opens the demo at `#room` and waits for its lobby. Like
   * `openPage`, the page is closed after the test, which fails if it logged an error.
   */
  openDemo(room: string, options?: { name?: string; isolated?: boolean }): Promise<DemoPage>;
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
 * describe('raw WebRTC', { retry: PAGE_CLOSED_RETRY }, () => {
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
  let demo: DemoServer | undefined;
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
      options.demo ? ensureDemoBuild() : undefined,
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
  });

  beforeEach(async () => {
    if (options.demo) {
      demo = await serveDemo(options.signaling);
      return;
    }
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
      await demo?.close();
      demo = undefined;
    }
    if (errors.length > 0) throw new Error(`pages logged unexpected errors:\n${errors.join('\n')}`);
  });

  /** The browser (relaunched if it died) for an isolated page, else this test's shared context. */
  const pageTarget = async (isolated: boolean): Promise<Browser | BrowserContext> => {
    if (!browser?.isConnected()) {
      browser = await launchChromium({ extraArgs: options.launchArgs ?? [] });
      context = undefined;
    }
    if (isolated) return browser;
    context ??= await browser.newContext(CONTEXT_OPTIONS);
    return context;
  };

  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is only available inside a test of useE2e()`);
    return value;
  };

  return {
    get browser() {
      return need(browser, 'e2e.browser');
    },
    get signaling() {
      return demo ? demo.signaling : need(signaling, 'e2e.signaling');
    },
    get demo() {
      return need(demo, 'e2e.demo (with useE2e({ demo: true }))');
    },
    get pagesUrl() {
      return need(pages, 'e2e.pagesUrl').url;
    },
    async openPage(kind, { name, isolated = false } = {}) {
      const target = await pageTarget(isolated);
      const page = await openTestPage(target, kind, {
        pagesUrl: need(pages, 'e2e.openPage').url,
        signalingUrl: (demo?.signaling ?? need(signaling, 'e2e.openPage')).url,
        name: name ?? `${kind}-${open.length + 1}`,
      });
      open.push(page);
      return page;
    },
    async openDemo(room, { name, isolated = false } = {}) {
      const server = need(demo, 'e2e.openDemo (with useE2e({ demo: true }))');
      const target = await pageTarget(isolated);
      const page = await openDemoPage(target, server.url, room, {
        name: name ?? `demo-${open.length + 1}`,
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
