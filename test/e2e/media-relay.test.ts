import { describe, expect, it } from 'vitest';
import { SCALE_STEPS } from '../../sdk/media/relay/encoder-load.js';
import { RELAY_LANE, RELAY_MORE_PIECES } from '../../signaling/protocol.js';
import { RawClient } from '../helpers/raw-client.js';
import { PAGE_CLOSED_RETRY, type TestPage, useE2e } from './harness/index.js';
import { flow, played, relayedWindow } from './media-kit.js';
import type { MediaPageApi } from './pages/api.js';

type MediaPage = TestPage<MediaPageApi>;

/**
 * Waits (bounded) until `page` renders `from`'s video at one size for two windows in a row:
 * the sender may step the size down in the call's first seconds when its encoder falls
 * behind (`encoder-load.ts`), and the `<video>` renders few frames around a change of size.
 */
async function steadySize(page: MediaPage, from: string) {
  let last = '';
  for (let i = 0; i < 20; i++) {
    const got = await played(page, from, 500);
    const size = `${got.width}x${got.height}`;
    if (got.videoFrames > 0 && size === last) return;
    last = size;
  }
}

/** Whether `got` is the fake camera (4:3) rather than the fake screen (16:9), at any size. */
/** A frame's shape: the fake camera is 4:3, the fake screen 16:9; none before a frame. */
const shape = ({ width, height }: { width: number; height: number }) => {
  if (height === 0) return 'none';
  if (Math.abs(width / height - 4 / 3) < 0.02) return 'camera';
  return Math.abs(width / height - 16 / 9) < 0.02 ? 'screen' : 'other';
};

const RELAY = { transport: 'relay' };

describe('audio and video over the relay, in Chromium (WebCodecs)', {
  retry: PAGE_CLOSED_RETRY,
}, () => {
  const e2e = useE2e({
    sdk: true,
    launchArgs: ['--use-fake-device-for-media-stream=device-count=3'],
  });

  async function relayPair(publish = true) {
    const room = e2e.room();
    const one = await e2e.openPage('media', { name: 'one' });
    const two = await e2e.openPage('media', { name: 'two' });
    const a = await one.api.join(room, { publish, sdk: RELAY });
    const b = await two.api.join(room, { publish, sdk: RELAY });
    return { room, one, two, oneId: a.selfId, twoId: b.selfId };
  }

  it('decodes and renders video and plays audio on both sides; media says "relay"', async () => {
    const { one, two, oneId, twoId } = await relayPair();
    await one.api.waitForMedia(twoId, 1, 1, 10_000);
    await two.api.waitForMedia(oneId, 1, 1, 10_000);
    for (const [page, from] of [
      [one, twoId],
      [two, oneId],
    ] as const) {
      expect(await page.api.media(from)).toEqual({ state: 'available', route: 'relay' });
      // The first frames may take a moment more on a loaded machine.
      await expect
        .poll(async () => (await played(page, from, 500)).videoFrames, { timeout: 10_000 })
        .toBeGreaterThan(0);
      await steadySize(page, from);
      const sender = page === one ? two : one;
      const { got } = await relayedWindow(
        'relayed video',
        page,
        from,
        sender,
        page === one ? oneId : twoId,
      );
      expect(got.videoFrames).toBeGreaterThan(5); // the fake camera gives ~20 fps
      // 640 px, or a step of it when the encoder fell behind (`encoder-load.ts`).
      expect(SCALE_STEPS.map((share) => 640 * share)).toContain(got.width);
      expect(got.audioSamples).toBeGreaterThan(24_000); // 48 kHz: over half of 1.5 s
      const stats = await flow(page, from);
      expect(stats.audioPackets).toBeGreaterThan(20); // Opus: 50 packets/s
      expect((await page.api.path(from)).transport).toBe('relay');
      expect(await page.api.streamEvents()).toEqual([['stream', from]]);
    }
    // Its waits add up to ~15 s by design (both sides, 1.5 s windows): room for a loaded machine.
  }, 40_000);

  it('mutes without ending the stream: nothing arrives until unmuted', async () => {
    const { one, two, oneId } = await relayPair();
    await two.api.waitForMedia(oneId, 1, 1, 10_000);
    await expect
      .poll(async () => (await flow(two, oneId, 500)).videoFrames, { timeout: 10_000 })
      .toBeGreaterThan(0);
    await one.api.setVideoEnabled(false);
    await one.api.setAudioEnabled(false);
    // Frames already on the way still arrive (the relay's delay, on a loaded machine); then
    // nothing does.
    await expect
      .poll(() => flow(two, oneId, 700), { timeout: 5000 })
      .toMatchObject({ audioPackets: 0, videoFrames: 0 });
    expect(await two.api.remoteMedia(oneId)).toMatchObject({ audio: 1, video: 1 });

    await one.api.setVideoEnabled(true);
    await one.api.setAudioEnabled(true);
    await expect
      .poll(async () => (await flow(two, oneId)).videoFrames, { timeout: 10_000 })
      .toBeGreaterThan(5);
    expect((await flow(two, oneId)).audioPackets).toBeGreaterThan(20);
    expect(await two.api.streamEvents()).toEqual([['stream', oneId]]);
  });

  it('shares the screen and switches camera in the same stream', async () => {
    const { one, two, oneId } = await relayPair();
    await two.api.waitForMedia(oneId, 1, 1, 10_000);
    await one.api.shareScreen();
    // The fake screen is 1280×720, the fake camera 640×480 (either maybe scaled down when
    // the encoder falls behind: told apart by their shape).
    await expect
      .poll(async () => shape(await played(two, oneId, 300)), { timeout: 10_000 })
      .toBe('screen');
    expect(SCALE_STEPS.map((share) => 1280 * share)).toContain(
      (await played(two, oneId, 300)).width,
    );
    // 1280×720 in software VP8: on the loaded 2-core machine a few frames a second, fewer
    // while the encoder settles on a scale.
    await expect
      .poll(async () => (await played(two, oneId, 1500)).videoFrames, { timeout: 10_000 })
      .toBeGreaterThan(1);
    await one.api.stopScreenShare();
    await expect
      .poll(async () => shape(await played(two, oneId, 300)), { timeout: 10_000 })
      .toBe('camera');
    expect(await one.api.switchCamera(2)).toMatch(/^fake_device_2/);
    // The new camera starts with a key frame, and the frames after it wait while it is paid
    // for (the sender's frame budget): then it flows in the same stream.
    await expect
      .poll(async () => (await played(two, oneId, 1000)).videoFrames, { timeout: 10_000 })
      .toBeGreaterThan(5);
    expect(await two.api.streamEvents()).toEqual([['stream', oneId]]);
  });

  it('publishing later and unpublishing start and end the stream', async () => {
    const { one, two, oneId } = await relayPair(false);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await two.api.streamEvents()).toEqual([]);
    expect(await two.api.media(oneId)).toEqual({ state: 'available', route: 'relay' });
    await one.api.publish();
    await two.api.waitForMedia(oneId, 1, 1, 10_000);
    await expect
      .poll(async () => (await played(two, oneId, 500)).videoFrames, { timeout: 10_000 })
      .toBeGreaterThan(0);
    await one.api.unpublish();
    await two.api.waitForMedia(oneId, 0, 0, 5000);
    expect(await two.api.streamEvents()).toEqual([
      ['stream', oneId],
      ['ended', oneId],
    ]);
  });

  it('a room of three: one relay-only peer, two direct; everyone sees everyone', async () => {
    const room = e2e.room();
    const pages = await Promise.all(['a', 'b', 'c'].map((name) => e2e.openPage('media', { name })));
    const [a, b, c] = pages as [MediaPage, MediaPage, MediaPage];
    // A and B give up on a direct route to C after 2 s (C never answers offers).
    const auto = { relayFallbackMs: 2000 };
    const idA = (await a.api.join(room, { publish: true, sdk: auto })).selfId;
    const idB = (await b.api.join(room, { publish: true, sdk: auto })).selfId;
    const idC = (await c.api.join(room, { publish: true, sdk: RELAY })).selfId;
    const want = [
      [a, idB, 'direct'],
      [b, idA, 'direct'],
      [a, idC, 'relay'],
      [b, idC, 'relay'],
      [c, idA, 'relay'],
      [c, idB, 'relay'],
    ] as const;
    const names = new Map([
      [idA, 'a'],
      [idB, 'b'],
      [idC, 'c'],
    ]);
    for (const [page, from, route] of want) {
      const pair = `${page === a ? 'a' : page === b ? 'b' : 'c'} of ${names.get(from)} (${route})`;
      await page.api.waitForMedia(from, 1, 1, 15_000);
      await expect
        .poll(() => page.api.media(from), { timeout: 10_000 })
        .toEqual({
          state: 'available',
          route,
        });
      await expect
        .poll(async () => (await played(page, from, 500)).videoFrames, {
          timeout: 10_000,
          message: `frames ${pair} rendered in 500 ms`,
        })
        .toBeGreaterThan(2);
    }
  }, 60_000);

  it('moves mid-call: direct cut → relayed media within seconds → direct again, nothing to re-attach', async () => {
    const room = e2e.room();
    const one = await e2e.openPage('media', { name: 'one' });
    const two = await e2e.openPage('media', { name: 'two' });
    const sdk = { relayFallbackMs: 1000, directRetryMs: 4000, iceRestartTimeoutMs: 1500 };
    const a = await one.api.join(room, { publish: true, sdk });
    const b = await two.api.join(room, { publish: true, sdk });
    await two.api.waitForMedia(a.selfId, 1, 1, 10_000);
    await expect
      .poll(() => two.api.media(a.selfId), { timeout: 10_000 })
      .toEqual({
        state: 'available',
        route: 'direct',
      });
    expect(await one.api.closePeerConnections()).toBeGreaterThan(0);
    const cutAt = Date.now();
    await expect
      .poll(() => two.api.media(a.selfId), { timeout: 10_000 })
      .toEqual({
        state: 'available',
        route: 'relay',
      });
    // The page shows each stream it is given (a `stream` event), as an app does.
    await expect
      .poll(async () => (await played(two, a.selfId, 500)).videoFrames, { timeout: 10_000 })
      .toBeGreaterThan(2);
    console.log(`direct cut → relayed video playing: ${Date.now() - cutAt} ms`);
    // The initiator retries direct every directRetryMs: media goes back to WebRTC.
    await expect
      .poll(() => two.api.media(a.selfId), { timeout: 20_000 })
      .toEqual({
        state: 'available',
        route: 'direct',
      });
    await expect
      .poll(async () => (await played(two, a.selfId, 500)).videoFrames, { timeout: 10_000 })
      .toBeGreaterThan(2);
    expect(await two.api.remoteMedia(a.selfId)).toMatchObject({ audio: 1, video: 1 });
    // Each move: the old stream ended, the new one announced — at least the two moves made
    // here (to the relay and back); a loaded machine may add a round trip (a peer's thread
    // stalled past the call's 3 s of silence), never a stream without its end.
    const events = await two.api.streamEvents();
    console.log(`stream events: ${events.map(([event]) => event).join(' ')}`);
    expect(events.length).toBeGreaterThanOrEqual(5);
    expect(events.length % 2).toBe(1);
    events.forEach(([event, from], i) => {
      expect([event, from]).toEqual([i % 2 === 0 ? 'stream' : 'ended', a.selfId]);
    });
    expect(await one.api.media(b.selfId)).toEqual({ state: 'available', route: 'direct' });
  }, 60_000);

  it('drops a malformed or oversized media frame with INVALID_DATA naming the peer; the call goes on', async () => {
    const { room, one, oneId, twoId } = await relayPair();
    await one.api.waitForMedia(twoId, 1, 1, 10_000);
    // A third peer that speaks the wire protocol by hand sends `one` bad media frames.
    const raw = await RawClient.connect(e2e.signaling.url);
    e2e.defer(() => raw.close());
    const { peerId } = await raw.join(room);
    await new Promise((resolve) => setTimeout(resolve, 500)); // one hears of it
    const errors = () => one.unexpectedErrors().filter((line) => line.includes('INVALID_DATA'));
    raw.relay(oneId, Uint8Array.of(RELAY_LANE.MEDIA, 2, 0, 1)); // a video frame of 3 bytes
    await expect
      .poll(errors, { timeout: 5000 })
      .toEqual([
        expect.stringContaining(
          `INVALID_DATA: peer ${peerId} sent a bad media frame, dropped: media frame of 3 bytes is too short`,
        ),
      ]);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // errors: one per second per peer
    // 7 pieces of 60 KiB that never end: more than a media frame may be.
    const piece = new Uint8Array(1 + 60 * 1024);
    piece[0] = RELAY_LANE.MEDIA | RELAY_MORE_PIECES;
    for (let i = 0; i < 6; i += 1) raw.relay(oneId, piece);
    raw.relay(oneId, Uint8Array.of(RELAY_LANE.MEDIA, 1));
    await expect.poll(() => errors().length, { timeout: 5000 }).toBe(2);
    expect(errors()[1]).toMatch(
      new RegExp(
        `peer ${peerId} sent a bad media frame, dropped: a media frame of \\d+ bytes \\(limit 327680\\)`,
      ),
    );
    one.allowErrors(/INVALID_DATA/);
    // The call goes on.
    // Frames still arrive (how many per second depends on the machine's load).
    expect((await played(one, twoId, 1000)).videoFrames).toBeGreaterThan(0);
    expect(await one.api.media(twoId)).toEqual({ state: 'available', route: 'relay' });
  });
});
