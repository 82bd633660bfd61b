/**
 * Reading a media page's counters over a window, for the media tests (`pages/media-page.ts`):
 * what a page rendered and played of a peer's stream, what arrived and was sent (`getStats()`), and the
 * relayed-video window that compares sent, decoded and rendered frames.
 */
import type { TestPage } from './harness/index.js';
import type { MediaCounts, MediaPageApi } from './pages/api.js';

type MediaPage = TestPage<MediaPageApi, unknown>;

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Video frames `page` rendered of `from`'s stream during `ms`, audio samples it played, and the video's size. */
export async function played(page: MediaPage, from: string, ms = 1000) {
  const before = await page.api.rendered(from);
  await wait(ms);
  const after = await page.api.rendered(from);
  return {
    videoFrames: after.videoFrames - before.videoFrames,
    audioSamples: after.audioSamples - before.audioSamples,
    width: after.width,
    height: after.height,
  };
}

/** The increase of the counters `read` gives over `ms`; the size is the last frame's. */
async function counted(read: () => Promise<MediaCounts>, ms: number): Promise<MediaCounts> {
  const before = await read();
  await wait(ms);
  const after = await read();
  return {
    audioPackets: after.audioPackets - before.audioPackets,
    videoPackets: after.videoPackets - before.videoPackets,
    videoFrames: after.videoFrames - before.videoFrames,
    videoWidth: after.videoWidth,
    videoHeight: after.videoHeight,
  };
}

/** What arrived from `from` during `ms`, by `peer.getStats()` (on the relay: frames as packets). */
export function flow(page: MediaPage, from: string, ms = 1000): Promise<MediaCounts> {
  return counted(() => page.api.received(from), ms);
}

/**
 * What arrived from `from` in the first window of `ms` in which more than `frames` video
 * frames were decoded, trying for `timeoutMs`; the last window if none had. The checks are
 * about media flowing, not how soon: on two loaded cores a first key frame, or an encoder
 * turned back on, can take seconds.
 */
export async function flowing(
  page: MediaPage,
  from: string,
  { frames = 0, ms = 1000, timeoutMs = 10_000 } = {},
): Promise<MediaCounts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await flow(page, from, ms);
    if (got.videoFrames > frames || Date.now() + ms > deadline) return got;
  }
}

/** The audio and video packets `page` sent to `to` during `ms`. */
export async function sending(page: MediaPage, to: string, ms = 1000) {
  const { audioPackets, videoPackets } = await counted(() => page.api.sent(to), ms);
  return { audioPackets, videoPackets };
}

/**
 * 1.5 s of `sender`'s relayed video as `page` gets it: frames `sender` sent to `self` (the
 * id `page` has in the room), frames `page` decoded of `from` (the sender's id), and what
 * it rendered and played; logged under `label`.
 */
export async function relayedWindow(
  label: string,
  page: MediaPage,
  from: string,
  sender: MediaPage,
  self: string,
) {
  const [sentBefore, decodedBefore] = [await sender.api.sent(self), await page.api.received(from)];
  const got = await played(page, from, 1500);
  const [sentAfter, decodedAfter] = [await sender.api.sent(self), await page.api.received(from)];
  const sent = sentAfter.videoFrames - sentBefore.videoFrames;
  const decoded = decodedAfter.videoFrames - decodedBefore.videoFrames;
  console.log(`${label} over 1.5 s: ${sent} sent, ${decoded} decoded, ${got.videoFrames} rendered`);
  return { sent, decoded, got };
}
