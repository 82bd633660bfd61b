import type { Browser, BrowserContext } from 'playwright-core';
import type { BrowserContext as FirefoxContext } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { SignalingServerOptions } from '../../../signaling/options.js';
import { createSignalingServer, type SignalingServer } from '../../../signaling/server.js';
import type { PageApis, PageKind } from '../pages/api.js';
import { INSECURE_HOST, launchChromium } from './chromium.js';
import { ensureDemoBuild } from './demo-build.js';
import { type DemoPage, openDemoPage } from './demo-page.js';
import { type DemoServer, serveDemo } from './demo-server.js';
import { type FirefoxSession, launchFirefox } from './firefox.js';
import type { BrowserName, NativePages, PageTarget } from './page-driver.js';
import { type PageServer, servePages } from './page-server.js';
import { ensureSdkBundle } from './sdk-bundle.js';
import { CONTEXT_OPTIONS, openTestPage, type TestPage } from './test-page.js';

/** Where a page runs, as `openPage` and `openDemo` take it. */
export interface PagePlacement<B extends BrowserName> {
  /** Label in error messages and logs. @default `<kind>-<n>` */
  name?: string;
  /** A context of its own (other permissions, fresh storage) instead of the test's shared one. @default false */
  isolated?: boolean;
  /** The browser to open it in; it must be in `useE2e({ browsers })`. @default 'chromium' */
  browser?: B;
  /**
   * The WebSocket URL the page connects to instead of this test's signaling server (a
   * `HostileProxy` in front of it, say). `openPage` only. @default `e2e.signaling.url`
   */
  signalingUrl?: string;
  /**
   * Serve it from {@link INSECURE_HOST} (Chromium), an origin that is not a secure context:
   * no `crypto.subtle`, as on a plain-http LAN address. `openPage` only. @default false
   */
  insecure?: boolean;
}

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
  /**
   * The browsers the file's pages run in, each launched once for the file in `beforeAll`
   * (Firefox takes 6–10 s: list it only where a test uses it). @default ['chromium']
   */
  browsers?: readonly BrowserName[];
}

/** The fixtures {@link useE2e} provides; valid inside tests. */
export interface E2e {
  /** The file's Chromium (relaunched if it died, e.g. before a retry). */
  readonly browser: Browser;
  /** With `browsers` listing Firefox: the file's Firefox (relaunched if it died). */
  readonly firefox: FirefoxSession;
  /** This test's signaling server (a fresh one per test). */
  readonly signaling: SignalingServer;
  /** With `demo: true`: this test's server of the built demo (its `signaling` is `e2e.signaling`). */
  readonly demo: DemoServer;
  /**
   * With `demo: true`: opens the demo at `#room` and waits for its lobby. Like
   * `openPage`, the page is closed after the test, which fails if it logged an error.
   */
  openDemo<B extends BrowserName = 'chromium'>(
    room: string,
    options?: PagePlacement<B>,
  ): Promise<DemoPage<NativePages[B]>>;
  /** Origin of the test pages. */
  readonly pagesUrl: string;
  /**
   * Opens a test page of `kind` connected to this test's signaling server; it is closed
   * after the test, which fails if the page logged an error it did not allow. Pages of a
   * test share one browser context (cache, permissions, storage) unless `isolated`.
   */
  openPage<K extends PageKind, B extends BrowserName = 'chromium'>(
    kind: K,
    options?: PagePlacement<B>,
  ): Promise<TestPage<PageApis[K], NativePages[B]>>;
  /** A room name no other test of this run uses. */
  room(): string;
  /** Runs `cleanup` after this test: after its pages close, before its signaling server does. */
  defer(cleanup: () => unknown): void;
}

/**
 * Registers the hooks of an end-to-end test file: one Chromium (and, when asked, one
 * Firefox) and one page server for the file, a fresh signaling server per test, and every page and deferred cleanup closed after
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
  const browsers = options.browsers ?? ['chromium'];
  let browser: Browser | undefined;
  let firefox: FirefoxSession | undefined;
  let pages: PageServer | undefined;
  let signaling: SignalingServer | undefined;
  let demo: DemoServer | undefined;
  /** This test's shared browser contexts, made on first use. */
  let context: BrowserContext | undefined;
  let firefoxContext: FirefoxContext | undefined;
  let open: TestPage<unknown, unknown>[] = [];
  let cleanups: Array<() => unknown> = [];
  let rooms = 0;

  const chromiumLaunch = () => launchChromium({ extraArgs: options.launchArgs ?? [] });

  // Firefox's launch alone may take 10 s on a loaded machine: more than the default hook time.
  beforeAll(async () => {
    [browser, firefox, pages] = await Promise.all([
      browsers.includes('chromium') ? chromiumLaunch() : undefined,
      browsers.includes('firefox') ? launchFirefox() : undefined,
      servePages(),
      options.sdk ? ensureSdkBundle() : undefined,
      options.demo ? ensureDemoBuild() : undefined,
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await firefox?.close();
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
      await firefoxContext?.close().catch(() => {});
      context = undefined;
      firefoxContext = undefined;
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    } finally {
      cleanups = [];
      await signaling?.close();
      await demo?.close();
      demo = undefined;
    }
    if (errors.length > 0) throw new Error(`pages logged unexpected errors:\n${errors.join('\n')}`);
  });

  /**
   * Where a page of `name` goes: the browser (relaunched if it died) for an isolated page,
   * else this test's shared context in it.
   */
  const pageTarget = async (name: BrowserName, isolated: boolean): Promise<PageTarget> => {
    if (!browsers.includes(name)) {
      throw new Error(`a ${name} page needs useE2e({ browsers: [..., '${name}'] })`);
    }
    if (name === 'firefox') {
      if (!firefox?.browser.connected) {
        await firefox?.close();
        firefox = await launchFirefox();
        firefoxContext = undefined;
      }
      if (isolated) return { browser: 'firefox', in: firefox.browser };
      firefoxContext ??= await firefox.browser.createBrowserContext();
      return { browser: 'firefox', in: firefoxContext };
    }
    if (!browser?.isConnected()) {
      browser = await chromiumLaunch();
      context = undefined;
    }
    if (isolated) return { browser: 'chromium', in: browser };
    context ??= await browser.newContext(CONTEXT_OPTIONS);
    return { browser: 'chromium', in: context };
  };

  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is only available inside a test of useE2e()`);
    return value;
  };

  return {
    get browser() {
      return need(browser, 'e2e.browser');
    },
    get firefox() {
      return need(firefox, "e2e.firefox (with useE2e({ browsers: ['firefox'] }))");
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
    async openPage<K extends PageKind, B extends BrowserName = 'chromium'>(
      kind: K,
      { name, isolated = false, browser: which, signalingUrl, insecure }: PagePlacement<B> = {},
    ) {
      const target = await pageTarget(which ?? 'chromium', isolated);
      const { url } = need(pages, 'e2e.openPage');
      const page = await openTestPage<K, B>(target as PageTarget & { browser: B }, kind, {
        pagesUrl: insecure ? url.replace('//127.0.0.1:', `//${INSECURE_HOST}:`) : url,
        signalingUrl: signalingUrl ?? (demo?.signaling ?? need(signaling, 'e2e.openPage')).url,
        name: name ?? `${kind}-${open.length + 1}`,
      });
      open.push(page);
      return page;
    },
    async openDemo<B extends BrowserName = 'chromium'>(
      room: string,
      { name, isolated = false, browser: which }: PagePlacement<B> = {},
    ) {
      const server = need(demo, 'e2e.openDemo (with useE2e({ demo: true }))');
      const target = await pageTarget(which ?? 'chromium', isolated);
      const page = await openDemoPage<B>(target as PageTarget & { browser: B }, server.url, room, {
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
