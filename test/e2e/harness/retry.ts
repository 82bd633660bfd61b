/**
 * The one retry end-to-end tests allow: about one run in twenty, headless Chromium closes a
 * page under the test ("Target page, context or browser has been closed"), a harness
 * failure and no finding. Only that error is retried, once; every other failure fails.
 */
export const PAGE_CLOSED_RETRY = {
  count: 1,
  condition:
    /Target page, context or browser has been closed|Target closed|Browser has been closed/,
} as const;
