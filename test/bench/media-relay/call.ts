/**
 * One measured call of `npm run bench media-relay`: two bed pages (`media-bench-page.ts`),
 * one per client namespace, both publishing a stamped camera and a tone; after a warm-up,
 * each side's view of the other is measured for a window: glass-to-glass latency of every
 * rendered frame, frames per second, the longest audio gap.
 */
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
  warmupMs: number;
  windowMs: number;
}

/** What a call measured: both directions (a's view of b and b's of a). */
export type CallResult =
  | {
      ok: true;
      /** `peer.media` at a once the call settled: `available` and its route. */
      route: string | null;
      sides: [TileFigures, TileFigures];
      /** Counter increases over the window at a (about b) and at b (about a). */
      counters: [MediaCounters, MediaCounters];
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
    await Promise.all([a.publish(), b.publish()]);
    const media = await a.waitForMedia(idB, 'available', STREAM_TIMEOUT_MS);
    if (media.state !== 'available') {
      return { ok: false, why: `media ${media.state}${media.reason ? ` (${media.reason})` : ''}` };
    }
    const streaming = await Promise.all([
      a.waitForStream(idB, STREAM_TIMEOUT_MS),
      b.waitForStream(idA, STREAM_TIMEOUT_MS),
    ]).catch((error: unknown) => error as Error);
    if (streaming instanceof Error)
      return { ok: false, why: streaming.message.split('\n')[0] ?? '' };
    await new Promise((resolve) => setTimeout(resolve, setup.warmupMs));
    await Promise.all([a.reset(idB), b.reset(idA)]);
    const before = await Promise.all([a.counters(idB), b.counters(idA)]);
    await new Promise((resolve) => setTimeout(resolve, setup.windowMs));
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
    const route = (await a.media(idB)).route;
    const errors = [...(await a.errors()), ...(await b.errors())];
    await Promise.all([a.leave(), b.leave()]).catch(() => {});
    return { ok: true, route, sides, counters, errors };
  } finally {
    if (setup.shape) await session.bed.shape(undefined);
    await pair.close();
  }
}
