/**
 * A call over the relay with `e2ee`, in Chromium, through a hostile proxy in front of the
 * signaling server that records every relayed byte: video decoded and audio played on both
 * sides; the relayed bytes never hold a VP8 key frame's plaintext header (without `e2ee`
 * they do: the check can see plaintext); a byte the proxy flips in a video frame is
 * `INVALID_DATA` naming the sender, and the call goes on.
 */
import { describe, expect, it } from 'vitest';
import { SCALE_STEPS } from '../../sdk/media/relay/encoder-load.js';
import { isMediaTag, RELAY_HEADER_BYTES } from '../../signaling/protocol.js';
import { HostileProxy } from '../helpers/hostile-proxy.js';
import { PAGE_CLOSED_RETRY, useE2e } from './harness/index.js';
import { played, relayedWindow } from './media-kit.js';

/**
 * The start of every VP8 key frame of the fake camera, as the encoder writes it: the
 * start code `9d 01 2a`, then 640 and 480 (u16 little-endian, scale bits 0) — or a step
 * of that size, when the sender's encoder fell behind (`encoder-load.ts`). Seven bytes
 * that ciphertext holds by chance with probability ~2^-56 per position.
 */
const VP8_KEY_HEADERS = SCALE_STEPS.map((share) => {
  const [w = 0, h = 0] = [640, 480].map((side) => Math.max(2, Math.round((side * share) / 2) * 2));
  return Buffer.from([0x9d, 0x01, 0x2a, w & 0xff, w >> 8, h & 0xff, h >> 8]);
});
const holdsKeyHeader = (bytes: Buffer) => VP8_KEY_HEADERS.some((key) => bytes.includes(key));

/** The relayed media bytes the proxy saw (each frame after the relay header and lane tag). */
const mediaBytes = (proxy: HostileProxy) =>
  Buffer.concat(
    proxy.binary
      .filter((frame) => isMediaTag(frame[RELAY_HEADER_BYTES]))
      .map((frame) => frame.subarray(RELAY_HEADER_BYTES + 1)),
  );

describe('relayed media sealed end to end, in Chromium (WebCodecs)', {
  retry: PAGE_CLOSED_RETRY,
}, () => {
  const e2e = useE2e({ sdk: true });

  async function call(e2ee: { secret: string } | undefined) {
    const proxy = await HostileProxy.start(e2e.signaling.url);
    e2e.defer(() => proxy.close()); // after the pages close: they never see it go
    const room = e2e.room();
    const place = { signalingUrl: proxy.url };
    const one = await e2e.openPage('media', { ...place, name: 'one' });
    const two = await e2e.openPage('media', { ...place, name: 'two' });
    const sdk = { transport: 'relay', ...(e2ee ? { e2ee } : {}) };
    const oneId = (await one.api.join(room, { publish: true, sdk })).selfId;
    const twoId = (await two.api.join(room, { publish: true, sdk })).selfId;
    await one.api.waitForMedia(twoId, 1, 1, 10_000);
    await two.api.waitForMedia(oneId, 1, 1, 10_000);
    return { proxy, one, two, oneId, twoId };
  }

  it('decodes video and plays audio both ways; the server sees no plaintext; a flipped byte is INVALID_DATA and the call goes on', async () => {
    const { proxy, one, two, oneId, twoId } = await call({
      secret: 'a secret only the pages know',
    });
    for (const [page, from] of [
      [one, twoId],
      [two, oneId],
    ] as const) {
      expect(await page.api.media(from)).toEqual({ state: 'available', route: 'relay' });
      await expect
        .poll(async () => (await played(page, from, 500)).videoFrames, { timeout: 10_000 })
        .toBeGreaterThan(0);
      const sender = page === one ? two : one;
      const self = page === one ? oneId : twoId;
      const { decoded, got } = await relayedWindow(
        'sealed relayed video',
        page,
        from,
        sender,
        self,
      );
      // The fake camera gives ~20 fps; under load (~25 here) a page renders fewer than it decodes.
      expect(decoded).toBeGreaterThan(5);
      expect(got.videoFrames).toBeGreaterThan(0);
      // 640 px, or a step of it when the encoder fell behind (`encoder-load.ts`).
      expect(SCALE_STEPS.map((share) => 640 * share)).toContain(got.width);
      expect(got.audioSamples).toBeGreaterThan(24_000); // 48 kHz: over half of 1.5 s
      expect((await page.api.path(from)).transport).toBe('relay');
    }
    const seen = mediaBytes(proxy);
    expect(seen.byteLength).toBeGreaterThan(50_000); // the check below looked at a real call
    expect(holdsKeyHeader(seen)).toBe(false);

    // The server flips the last byte of the next video-sized frame it relays to `two`.
    let flipped = false;
    proxy.tampering.binaryToClient = (frame) => {
      if (flipped || !isMediaTag(frame[RELAY_HEADER_BYTES]) || frame.byteLength < 600) return frame;
      flipped = true;
      const out = Buffer.from(frame);
      out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 0xff;
      return out;
    };
    for (const page of [one, two]) page.allowErrors(/INVALID_DATA/);
    const invalid = () =>
      [...one.log, ...two.log].filter((line) => line.includes('peerlane error INVALID_DATA'));
    await expect.poll(invalid, { timeout: 5000 }).toHaveLength(1);
    const [line] = invalid();
    const sender = line?.startsWith('[one]') ? twoId : oneId;
    expect(line).toContain(
      `INVALID_DATA: peer ${sender} sent a bad media frame, dropped: a relayed media frame did not open with this room secret`,
    );
    // The call goes on: the receiver asked for a key frame, and frames keep coming.
    const [receiver, from] = sender === twoId ? [one, twoId] : [two, oneId];
    await expect
      .poll(async () => (await played(receiver, from, 700)).videoFrames, { timeout: 10_000 })
      .toBeGreaterThan(2);
    expect(invalid()).toHaveLength(1);
  }, 45_000);

  it('without e2ee the same capture shows the key frames in clear (the check above can fail)', async () => {
    const { proxy, one, twoId } = await call(undefined);
    await expect
      .poll(async () => (await played(one, twoId, 500)).videoFrames, { timeout: 10_000 })
      .toBeGreaterThan(0);
    expect(holdsKeyHeader(mediaBytes(proxy))).toBe(true);
  }, 30_000);
});
