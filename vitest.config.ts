import { defineConfig } from 'vitest/config';

/** Behaviour tests that every room store must pass: run once in memory, once on Redis. */
const STORE_CONTRACT = [
  'test/signaling/presence.test.ts',
  'test/signaling/routing.test.ts',
  'test/signaling/resume.test.ts',
  'test/signaling/limits.test.ts',
  'test/signaling/lifecycle.test.ts',
  'test/signaling/auth.test.ts',
];

/**
 * Browser files whose checks count rendered video frames or audio in short windows, with two
 * or three pages encoding a camera each. Two of them side by side on two cores starve each
 * other's pages (CI saw windows with no frame at all), so they run one at a time, after the
 * rest and alone.
 */
const VIDEO = [
  'test/e2e/demo.test.ts',
  'test/e2e/demo-states.test.ts',
  'test/e2e/demo-ui.test.ts',
  'test/e2e/media.test.ts',
  'test/e2e/media-relay.test.ts',
  'test/e2e/e2ee-media.test.ts',
];

/**
 * `npm pack` in the repository (its `prepack` runs `npm run build`, which empties and
 * rewrites `dist/browser` and `dist/demo`): while it runs, another file's page can find no
 * `/peerlane.js` (CI saw a 404). It runs in the serial group too.
 */
const REBUILDS_DIST = ['test/e2e/consumer.test.ts'];

/** Browser pages are slower to settle than a test's own code: a poll waits 5 s, not 1 s. */
const BROWSER_EXPECT = { poll: { timeout: 5000 } };

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // WebRTC and real servers share two cores: keep files from starving each other.
    maxWorkers: 2,
    // The JSON report lets CI print a plain "N passed, N failed" line at the end.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/netbed/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'redis',
          include: STORE_CONTRACT,
          globalSetup: ['test/helpers/redis-global-setup.ts'],
          env: { PEERLANE_TEST_STORE: 'redis' },
        },
      },
      {
        extends: true,
        test: {
          name: 'chromium',
          include: ['test/e2e/**/*.test.ts'],
          exclude: ['test/e2e/**/*.firefox.test.ts', ...VIDEO, ...REBUILDS_DIST],
          globalSetup: ['test/e2e/global-setup.ts'],
          expect: BROWSER_EXPECT,
        },
      },
      {
        // Chromium with cameras (VIDEO above) and the packed package (REBUILDS_DIST): second,
        // one file at a time.
        extends: true,
        test: {
          name: 'serial',
          include: [...VIDEO, ...REBUILDS_DIST],
          globalSetup: ['test/e2e/global-setup.ts'],
          expect: BROWSER_EXPECT,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // Firefox ↔ Chromium: Debian's firefox-esr through puppeteer-core (WebDriver BiDi).
        // Its call counts frames too: with the video files, one at a time.
        extends: true,
        test: {
          name: 'firefox',
          include: ['test/e2e/**/*.firefox.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          expect: BROWSER_EXPECT,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // Network namespaces, NAT routers, coturn and Chromium per client (root only; see
        // README "Connectivity"). One file: the cells share one bed and run one at a time.
        // Last, alone: its timing targets (first message ≤ 0.5 s, stall ≤ 3 s) are measured,
        // not starved by the other projects' browsers.
        extends: true,
        test: {
          name: 'netbed',
          include: ['test/netbed/**/*.netbed.test.ts'],
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
