/**
 * One measured call of `npm run bench media-relay`: two bed pages (`media-bench-page.ts`),
 * one per client namespace, both publishing a stamped camera and a tone; after a warm-up,
 * each side's view of the other is measured for a window: glass-to-glass latency of every
 * rendered frame, frames per second, the longest audio gap. With `file`, page a also sends
 * b a file from before the warm-up to the end of the window, and the bytes the window
 * moved are measured; with `media: false` there is no call, only that file.
 */

import type { Remote } from '../../e2e/harness/test-page.js';
import type { Cell } from '../../netbed/cells/cells.js';
import { remote } from '../../netbed/cells/remote.js';
import type { Session } from '../../netbed/cells/session.js';
import type { MediaBenchApi, MediaCounters } from '../../netbed/pages/media-bench-page.js';
import type { TileFigures } from '../../netbed/pages/tile-watch.js';
import type { LinkShape } from '../../netbed/topology/shaping.js';

/** How one call is made. */
export interface CallSetup {
  /** The routers and the server the pages come from. */
  cell: Cell;
  /** `joinRoom` options of both peers. */
  sdk: Record<string, unknown>;
  /** The access links' shape, or none. */
  shape?: LinkShape;
  /** MiB of a file a sends b during the call (it is cut short when the call ends). */
  file?: number;
  /** Whether the pages publish and watch media. @default true */
  media?: boolean;
  warmupMs: number;
  windowMs: number;
}

/** What a call's file moved in the window. */
export interface FileFigures {
  mibPerSecond: number;
  /** How the file ended before the window did, if it did (it should last the window). */
  error: string | null;
}

/** What a call measured: both directions (a's view of b and b's of a). */
export type CallResult =
  | {
      ok: true;
      /** `peer.media` at a once the call settled: `available` and its route. */
      route: string | null;
      /** The call's figures; undefined without media. */
      call?: {
        sides: [TileFigures, TileFigures];
        /** Counter increases over the window at a (about b) and at b (about a). */
        counters: [MediaCounters, MediaCounters];
        /**
         * Each page's route changes during the window (`transport-change`), as `route +s`
         * from the window's start: a fall-back to the relay and back shows here.
         */
        routeChanges: [string[], string[]];
      };
      file?: FileFigures;
      errors: string[];
    }
  | { ok: false; why: string };

const STREAM_TIMEOUT_MS = 30_000;

/** Runs one call in `session`; `room` must be unique. */
export async function measureCall(
  session: Session,
  setup: CallSetup,
  room: string,
): Promise<CallResult> {
  const pair = await session.openCell(setup.cell, 'media-bench');
  try {
    if (setup.shape) await session.bed.shape(setup.shape);
    // A user gesture on each page, so its AudioContext (the tone) may run.
    await Promise.all([pair.a.mouse.click(2, 2), pair.b.mouse.click(2, 2)]);
    const a = remote<MediaBenchApi>(pair.a, 'peerlaneMediaBench', 'a');
    const b = remote<MediaBenchApi>(pair.b, 'peerlaneMediaBench', 'b');
    const sdk = { ...setup.sdk, ...(pair.appIceServers && { iceServers: pair.appIceServers }) };
    const idA = await a.join(room, sdk);
    const idB = await b.join(room, sdk);
    await Promise.all([a.firstPeer(15_000), b.firstPeer(15_000)]);
    const media = setup.media ?? true;
    if (media) {
      const why = await startCall(a, b, idA, idB);
      if (why) return { ok: false, why };
    }
    if (setup.file) await a.startFile(idB, setup.file);
    await new Promise((resolve) => setTimeout(resolve, setup.warmupMs));
    let call: Extract<CallResult, { ok: true }>['call'];
    let fileAtStart: number;
    if (media) ({ call, fileAtStart } = await measureWindow(a, b, idA, idB, setup.windowMs));
    else {
      fileAtStart = (await a.fileProgress()).bytes;
      await new Promise((resolve) => setTimeout(resolve, setup.windowMs));
    }
    let file: FileFigures | undefined;
    if (setup.file) {
      const end = await a.fileProgress();
      const mib = (end.bytes - fileAtStart) / 2 ** 20;
      const error = end.error ?? (end.done ? 'it was all sent before the window ended' : null);
      file = { mibPerSecond: mib / (setup.windowMs / 1000), error };
    }
    const route = media ? (await a.media(idB)).route : await a.transport(idB);
    const errors = [...(await a.errors()), ...(await b.errors())];
    await Promise.all([a.leave(), b.leave()]).catch(() => {});
    return { ok: true, route, ...(call && { call }), ...(file && { file }), errors };
  } finally {
    if (setup.shape) await session.bed.shape(undefined);
    await pair.close();
  }
}

type Page = Remote<MediaBenchApi>;

/** Both pages publish; resolves once each has the other's stream, or with why not. */
async function startCall(a: Page, b: Page, idA: string, idB: string): Promise<string | undefined> {
  await Promise.all([a.publish(), b.publish()]);
  const media = await a.waitForMedia(idB, 'available', STREAM_TIMEOUT_MS);
  if (media.state !== 'available') {
    return `media ${media.state}${media.reason ? ` (${media.reason})` : ''}`;
  }
  const streaming = await Promise.all([
    a.waitForStream(idB, STREAM_TIMEOUT_MS),
    b.waitForStream(idA, STREAM_TIMEOUT_MS),
  ]).catch((error: unknown) => error as Error);
  return streaming instanceof Error ? (streaming.message.split('\n')[0] ?? '') : undefined;
}

/** The call's measuring window: each side's view of the other, and the file's bytes at its start. */
async function measureWindow(a: Page, b: Page, idA: string, idB: string, windowMs: number) {
  await Promise.all([a.reset(idB), b.reset(idA)]);
  const routesBefore = await Promise.all([a.routeChanges(), b.routeChanges()]);
  const before = await Promise.all([a.counters(idB), b.counters(idA)]);
  const fileAtStart = (await a.fileProgress()).bytes;
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const sides: [TileFigures, TileFigures] = await Promise.all([a.figures(idB), b.figures(idA)]);
  const after = await Promise.all([a.counters(idB), b.counters(idA)]);
  const counters = [0, 1].map((i) => {
    const [from, to] = [before[i] as MediaCounters, after[i] as MediaCounters];
    return Object.fromEntries(
      Object.entries(to).map(([key, value]) => [
        key,
        key === 'sentVideoWidth' ? value : value - from[key as keyof MediaCounters],
      ]),
    ) as unknown as MediaCounters;
  }) as [MediaCounters, MediaCounters];
  const routesAfter = await Promise.all([a.routeChanges(), b.routeChanges()]);
  const routeChanges = [0, 1].map((i) => {
    const { at, changes } = routesBefore[i] as { at: number; changes: string[] };
    return (routesAfter[i]?.changes ?? []).slice(changes.length).map((change) => {
      const [route, ms] = change.split('@');
      return `${route} +${((Number(ms) - at) / 1000).toFixed(1)} s`;
    });
  }) as [string[], string[]];
  return { call: { sides, counters, routeChanges }, fileAtStart };
}
