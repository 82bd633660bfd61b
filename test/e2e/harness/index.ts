/**
 * The end-to-end harness: real Chromium, real signaling server, real WebRTC on loopback.
 * See test/e2e/README.md for how to use it and how to add a page.
 */
export type { PageApis, PageKind } from '../pages/api.js';
export {
  CHROMIUM_ARGS,
  chromiumPath,
  DEFAULT_CHROMIUM_PATH,
  launchChromium,
  launchUnwatchedChromium,
} from './chromium.js';
export { DEMO_DIR, ensureDemoBuild } from './demo-build.js';
export { type DemoPage, openDemoPage } from './demo-page.js';
export { type DemoServer, serveDemo } from './demo-server.js';
export {
  DEFAULT_FIREFOX_PATH,
  FIREFOX_PREFS,
  type FirefoxSession,
  firefoxPath,
  hasDefaultRoute,
  launchFirefox,
} from './firefox.js';
export {
  type BrowserName,
  type NativePages,
  openBrowserPage,
  type PageDriver,
  type PageTarget,
  playwrightDriver,
  puppeteerDriver,
} from './page-driver.js';
export { type PageServer, servePages } from './page-server.js';
export { PAGE_CLOSED_RETRY } from './retry.js';
export { BUNDLE_FILE, ensureSdkBundle } from './sdk-bundle.js';
export { CONTEXT_OPTIONS, openTestPage, type Remote, TestPage } from './test-page.js';
export { type E2e, type E2eOptions, type PagePlacement, useE2e } from './use-e2e.js';
