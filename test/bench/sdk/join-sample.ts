/**
 * One sample of the join benchmark, defined identically for every contender:
 *
 * 1. two fresh pages of the contender's kind (A and B), each in its own browser context,
 *    then a pause (`settleMs`) so their start-up work does not land inside the timing;
 * 2. A joins a fresh room and is in it (welcome received);
 * 3. B joins: t0 is read in B's page just before its WebSocket is created (the raw page
 *    creates it itself; the SDK's `joinRoom` creates it), so the WebSocket handshake,
 *    the join and the whole WebRTC handshake are inside the measurement;
 * 4. t1 is the first data channel open on either page, as the page's code learns it: the
 *    raw page's `RTCDataChannel` `open` event; for the SDK its `connection-state` event
 *    with `connected`, which follows simple-peer's `connect` (channel open, ICE connected,
 *    then a `getStats()` for the selected pair, retried every 100 ms until there is one) —
 *    the moment an application may count on sending;
 * 5. the sample is t1 − t0, both read as `performance.timeOrigin + performance.now()`,
 *    which pages of one browser share.
 *
 * Opening pages, loading the bundle and A's join are outside the measurement.
 */
import type { Browser } from 'playwright-core';
import { openTestPage } from '../../e2e/harness/index.js';

/** What the benchmark compares: the bare RTCPeerConnection page, or the SDK page. */
export type Contender = 'raw' | 'sdk';

export interface SampleContext {
  browser: Browser;
  pagesUrl: string;
  signalingUrl: string;
  room: string;
  /** Pause after the pages are open, so their start-up work is done before A joins. */
  settleMs: number;
}

/** Runs one sample; resolves with t1 − t0 in ms. */
export async function joinSample(contender: Contender, context: SampleContext): Promise<number> {
  const options = { pagesUrl: context.pagesUrl, signalingUrl: context.signalingUrl };
  const a = await openTestPage({ browser: 'chromium', in: context.browser }, contender, {
    ...options,
    name: 'A',
  });
  const b = await openTestPage({ browser: 'chromium', in: context.browser }, contender, {
    ...options,
    name: 'B',
  }).catch(async (error: unknown) => {
    await a.close();
    throw error;
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, context.settleMs));
    await a.api.join(context.room);
    const { startedAt } = await b.api.join(context.room);
    const opened = await Promise.all([a.api.firstOpen(10_000), b.api.firstOpen(10_000)]);
    const errors = [...a.unexpectedErrors(), ...b.unexpectedErrors()];
    if (errors.length > 0) throw new Error(`the pages logged errors:\n${errors.join('\n')}`);
    return Math.min(...opened.map((o) => o.at)) - startedAt;
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}
