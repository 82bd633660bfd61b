import { describe, expect, it } from 'vitest';
import { PAGE_CLOSED_RETRY, useE2e } from './harness/index.js';
import { flow, flowing } from './media-kit.js';

/** Two media pages in one room, connected; `first` made the offers (lower id). */
async function pair(e2e: ReturnType<typeof useE2e>, publish: boolean) {
  const room = e2e.room();
  const one = await e2e.openPage('media', { name: 'one' });
  const two = await e2e.openPage('media', { name: 'two' });
  const a = await one.api.join(room, { publish });
  const b = await two.api.join(room, { publish });
  const [initiator, other] = a.selfId < b.selfId ? [one, two] : [two, one];
  const [initiatorId, otherId] = a.selfId < b.selfId ? [a.selfId, b.selfId] : [b.selfId, a.selfId];
  return { room, initiator, other, initiatorId, otherId };
}

describe('SDK media in Chromium (fake camera, microphone and screen)', {
  retry: PAGE_CLOSED_RETRY,
}, () => {
  // Three fake cameras, for switchCamera (the last --use-fake-device… flag wins). The
  // second one delivers Y16 (depth) frames, which WebRTC does not encode: use the third.
  const e2e = useE2e({
    sdk: true,
    launchArgs: ['--use-fake-device-for-media-stream=device-count=3'],
  });

  it('sends audio and video both ways; stats name the path and the RTT', async () => {
    const { initiator, other, initiatorId, otherId } = await pair(e2e, true);
    await initiator.api.waitForMedia(otherId, 1, 1);
    await other.api.waitForMedia(initiatorId, 1, 1);
    const atOther = await flowing(other, initiatorId, { frames: 5 });
    const atInitiator = await flowing(initiator, otherId, { frames: 5 });
    for (const got of [atOther, atInitiator]) {
      expect(got.videoFrames).toBeGreaterThan(5); // ~20 fps
      expect(got.audioPackets).toBeGreaterThan(20); // 50 packets/s
    }
    const path = await other.api.path(initiatorId);
    expect(path).toMatchObject({ transport: 'webrtc', path: 'host' });
    expect(path.rttMs).toEqual(expect.any(Number));
    // Both published before connecting: one stream event per side, nothing ended.
    expect(await other.api.streamEvents()).toEqual([['stream', initiatorId]]);
  });

  it('mutes without renegotiating: nothing is sent until unmuted', async () => {
    const { initiator, other, initiatorId } = await pair(e2e, true);
    await other.api.waitForMedia(initiatorId, 1, 1);
    // The tracks are there; the first frames may take a moment more on a loaded machine.
    expect((await flowing(other, initiatorId, { ms: 500 })).videoFrames).toBeGreaterThan(0);

    await initiator.api.setVideoEnabled(false);
    await initiator.api.setAudioEnabled(false);
    await new Promise((resolve) => setTimeout(resolve, 300)); // packets already in flight
    const muted = await flow(other, initiatorId);
    expect(muted).toMatchObject({ audioPackets: 0, videoFrames: 0 });
    // The tracks stay: muting is not unpublishing.
    expect(await other.api.remoteMedia(initiatorId)).toMatchObject({ audio: 1, video: 1 });

    await initiator.api.setVideoEnabled(true);
    await initiator.api.setAudioEnabled(true);
    const unmuted = await flowing(other, initiatorId, { frames: 5 });
    expect(unmuted.videoFrames).toBeGreaterThan(5);
    expect(unmuted.audioPackets).toBeGreaterThan(20);
    expect(await other.api.streamEvents()).toEqual([['stream', initiatorId]]);
  });

  it('shares the screen in place of the camera and comes back to it', async () => {
    const { initiator, other, initiatorId } = await pair(e2e, true);
    await other.api.waitForMedia(initiatorId, 1, 1);
    expect(await initiator.api.publishedVideoLabel()).toMatch(/^fake_device_0/);

    await initiator.api.shareScreen();
    expect(await initiator.api.publishedVideoLabel()).toMatch(/^screen:/);
    // The fake screen is 1280×720 (16:9), the fake camera 640×480 (4:3). WebRTC may send
    // either smaller when the machine is loaded, so the shape tells them apart.
    const shape = async () => {
      const { videoWidth: width, videoHeight: height } = await other.api.received(initiatorId);
      if (!width || !height) return 'none';
      return width * 9 === height * 16
        ? '16:9'
        : width * 3 === height * 4
          ? '4:3'
          : `${width}×${height}`;
    };
    await expect.poll(shape, { timeout: 5000 }).toBe('16:9');
    expect((await flowing(other, initiatorId, { frames: 3, ms: 500 })).videoFrames).toBeGreaterThan(
      3,
    );

    await initiator.api.stopScreenShare();
    expect(await initiator.api.publishedVideoLabel()).toMatch(/^fake_device_0/);
    await expect.poll(shape, { timeout: 5000 }).toBe('4:3');
    expect((await flowing(other, initiatorId, { frames: 3, ms: 500 })).videoFrames).toBeGreaterThan(
      3,
    );
    expect(await other.api.remoteMedia(initiatorId)).toMatchObject({ audio: 1, video: 1 });
    expect(await other.api.streamEvents()).toEqual([['stream', initiatorId]]);
  });

  it('switches camera without a new stream', async () => {
    const { initiator, other, initiatorId } = await pair(e2e, true);
    await other.api.waitForMedia(initiatorId, 1, 1);
    expect(await initiator.api.switchCamera(2)).toMatch(/^fake_device_2/);
    expect(await initiator.api.publishedVideoLabel()).toMatch(/^fake_device_2/);
    expect((await flowing(other, initiatorId, { frames: 5, ms: 800 })).videoFrames).toBeGreaterThan(
      5,
    );
    expect(await other.api.streamEvents()).toEqual([['stream', initiatorId]]);
  });

  it('lets the answering side publish and unpublish (it asks the initiator for each round)', async () => {
    const { initiator, other, otherId } = await pair(e2e, false);
    await other.api.publish();
    await initiator.api.waitForMedia(otherId, 1, 1);
    expect((await flowing(initiator, otherId, { frames: 3, ms: 600 })).videoFrames).toBeGreaterThan(
      3,
    );
    await other.api.unpublish();
    await initiator.api.waitForMedia(otherId, 0, 0);
    expect(await initiator.api.streamEvents()).toEqual([
      ['stream', otherId],
      ['ended', otherId],
    ]);
  });

  it('survives both sides changing media at once, over and over (one round at a time)', async () => {
    const { initiator, other, initiatorId, otherId } = await pair(e2e, false);
    await initiator.api.waitForMedia(otherId, 0, 0);
    // Every step on both pages without waiting: offers would cross if not serialized.
    for (let round = 0; round < 4; round += 1) {
      await Promise.all([initiator.api.publish(), other.api.publish()]);
      await Promise.all([initiator.api.unpublish(), other.api.unpublish()]);
      await Promise.all([initiator.api.publish(), other.api.publish()]);
      await Promise.all([initiator.api.setAudioEnabled(false), other.api.setVideoEnabled(false)]);
      await Promise.all([initiator.api.setAudioEnabled(true), other.api.setVideoEnabled(true)]);
    }
    await other.api.unpublish();
    await initiator.api.waitForMedia(otherId, 0, 0, 10_000);
    await other.api.waitForMedia(initiatorId, 1, 1, 10_000);
    expect((await flowing(other, initiatorId, { frames: 3, ms: 600 })).videoFrames).toBeGreaterThan(
      3,
    );
  });

  it('on the relay: no stream from connection attempts that never connect; media takes the relay', async () => {
    const room = e2e.room();
    const one = await e2e.openPage('media', { name: 'one' });
    const two = await e2e.openPage('media', { name: 'two' });
    // Relay-only ICE and no TURN: no direct path, ever. Retries every second make
    // several attempts in the test's time, each with its offer, answer and tracks.
    const sdk = {
      iceTransportPolicy: 'relay',
      relayFallbackMs: 500,
      directRetryMs: 1000,
      peerConnectTimeoutMs: 900,
    };
    const a = await one.api.join(room, { publish: true, sdk });
    const b = await two.api.join(room, { publish: true, sdk });
    await new Promise((resolve) => setTimeout(resolve, 5000));
    for (const [page, other] of [
      [one, b.selfId],
      [two, a.selfId],
    ] as const) {
      // One stream, the relayed one: none from the attempts, no flicker.
      expect(await page.api.streamEvents()).toEqual([['stream', other]]);
      expect(await page.api.media(other)).toEqual({ state: 'available', route: 'relay' });
    }
  });

  it('gives a late joiner what is already published', async () => {
    const { room, initiator, other, initiatorId, otherId } = await pair(e2e, true);
    await other.api.waitForMedia(initiatorId, 1, 1);
    const late = await e2e.openPage('media', { name: 'late' });
    const { selfId } = await late.api.join(room, { publish: true });
    await late.api.waitForMedia(initiatorId, 1, 1);
    await late.api.waitForMedia(otherId, 1, 1);
    await initiator.api.waitForMedia(selfId, 1, 1);
    await other.api.waitForMedia(selfId, 1, 1);
    expect((await flowing(late, initiatorId, { frames: 3, ms: 600 })).videoFrames).toBeGreaterThan(
      3,
    );
    await late.api.leave();
    await initiator.api.waitForMedia(selfId, 0, 0);
  });
});
