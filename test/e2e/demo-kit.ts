/**
 * Driving the demo page the way a person would (fill the name, click Join, click Mute…)
 * and reading what it shows. What the UI cannot tell (RTP counters) comes from the room
 * the demo exposes for DevTools, `window.peerlaneRoom`, through `peer.getStats()`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { DemoPage, E2e } from './harness/index.js';
import { ROOT } from './harness/sdk-bundle.js';

/** Where screenshots go (gitignored). */
export const RESULTS_DIR = join(ROOT, 'test-results');

/** Fills the name, clicks Join, waits for the call view; returns this page's peer id. */
export async function joinCall(demo: DemoPage, name: string): Promise<string> {
  await demo.page.fill('#name', name);
  await demo.page.click('#join');
  await demo.page.locator('#call').waitFor({ state: 'visible', timeout: 10_000 });
  const id = await demo.page.evaluate(() => window.peerlaneRoom?.selfId);
  if (!id) throw new Error(`[${demo.name}] joined, but window.peerlaneRoom has no selfId`);
  return id;
}

/**
 * Alice and Bob in a fresh room, both joined through the lobby and each showing two tiles.
 * `a` and `b` are their peer ids.
 */
export async function twoInACall(
  e2e: Pick<E2e, 'room' | 'openDemo'>,
): Promise<{ alice: DemoPage; bob: DemoPage; a: string; b: string }> {
  const room = e2e.room();
  const alice = await e2e.openDemo(room, { name: 'alice' });
  const bob = await e2e.openDemo(room, { name: 'bob' });
  const a = await joinCall(alice, 'Alice');
  const b = await joinCall(bob, 'Bob');
  await expectTiles(alice, 2);
  await expectTiles(bob, 2);
  return { alice, bob, a, b };
}

/**
 * Alice (who ticks "Use the relay only" in the lobby) and Bob join `room` through the
 * lobby. `a` and `b` are their peer ids.
 */
export async function relayOnlyCall(
  e2e: Pick<E2e, 'openDemo'>,
  room: string,
): Promise<{ alice: DemoPage; bob: DemoPage; a: string; b: string }> {
  const alice = await e2e.openDemo(room, { name: 'alice' });
  const bob = await e2e.openDemo(room, { name: 'bob' });
  await alice.page.getByText('Connection settings').click();
  await alice.page.getByRole('checkbox', { name: 'Use the relay only' }).check();
  const a = await joinCall(alice, 'Alice');
  const b = await joinCall(bob, 'Bob');
  return { alice, bob, a, b };
}

/** The tile of `peerId` on `demo`. */
export function tile(demo: DemoPage, peerId: string) {
  return demo.page.locator(`#grid .tile[data-peer="${peerId}"]`);
}

/** Waits until `demo` shows exactly `count` tiles (its own included). */
export async function expectTiles(demo: DemoPage, count: number, timeout = 10_000): Promise<void> {
  await expect.poll(() => demo.page.locator('#grid .tile').count(), { timeout }).toBe(count);
}

/** What arrived at `demo` from `peerId` so far, from `peer.getStats()`. */
export async function received(demo: DemoPage, peerId: string) {
  return demo.page.evaluate(async (id) => {
    const peer = window.peerlaneRoom?.peer(id);
    if (!peer) throw new Error(`peer ${id} is not in the room`);
    const { inbound } = await peer.getStats();
    return {
      audioPackets: inbound.audio?.packets ?? 0,
      videoFrames: inbound.video?.frames ?? 0,
      videoWidth: inbound.video?.frameWidth ?? null,
    };
  }, peerId);
}

/** Growth of what arrives from `peerId` at `demo` during `ms`. */
export async function flow(demo: DemoPage, peerId: string, ms = 1000) {
  const before = await received(demo, peerId);
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await received(demo, peerId);
  return {
    audioPackets: after.audioPackets - before.audioPackets,
    videoFrames: after.videoFrames - before.videoFrames,
  };
}

/**
 * Frames the `<video>` of `peerId`'s tile has presented (what the person sees), and the
 * live tracks of its stream by kind.
 */
export async function tileMedia(demo: DemoPage, peerId: string) {
  return demo.page.evaluate((id) => {
    const video = document.querySelector<HTMLVideoElement>(`#grid .tile[data-peer="${id}"] video`);
    const stream = video?.srcObject instanceof MediaStream ? video.srcObject : undefined;
    const live = (tracks: MediaStreamTrack[] | undefined) =>
      (tracks ?? []).filter((t) => t.readyState === 'live').length;
    return {
      frames: video?.getVideoPlaybackQuality().totalVideoFrames ?? 0,
      audioTracks: live(stream?.getAudioTracks()),
      videoTracks: live(stream?.getVideoTracks()),
    };
  }, peerId);
}

/** Waits until the tile of `peerId` on `demo` has presented more frames than it has now. */
export async function expectVideoPlaying(
  demo: DemoPage,
  peerId: string,
  timeout = 10_000,
): Promise<void> {
  const start = (await tileMedia(demo, peerId)).frames;
  try {
    await expect
      .poll(async () => (await tileMedia(demo, peerId)).frames, { timeout })
      .toBeGreaterThan(start + 5);
  } catch (error) {
    // Say what the page had, so a failure in CI can be told from a slow machine.
    const seen = await videoState(demo, peerId).catch((e: unknown) => String(e));
    throw new Error(
      `${demo.name}: the tile of ${peerId} rendered ≤ 5 frames in ${timeout} ms: ${JSON.stringify(seen)}`,
      { cause: error },
    );
  }
}

/** The `<video>` of `peerId`'s tile and the peer's connection, as the page has them. */
async function videoState(demo: DemoPage, peerId: string) {
  return demo.page.evaluate(async (id) => {
    const video = document.querySelector<HTMLVideoElement>(`#grid .tile[data-peer="${id}"] video`);
    const stream = video?.srcObject instanceof MediaStream ? video.srcObject : undefined;
    const peer = window.peerlaneRoom?.peer(id);
    const stats = await peer?.getStats().catch(() => undefined);
    return {
      video: video
        ? {
            paused: video.paused,
            readyState: video.readyState,
            size: `${video.videoWidth}x${video.videoHeight}`,
            frames: video.getVideoPlaybackQuality().totalVideoFrames,
            tracks: stream?.getTracks().map((t) => `${t.kind}:${t.readyState}:${t.muted}`),
          }
        : 'no <video>',
      transport: peer?.transport ?? 'no peer',
      inbound: stats?.inbound.video ?? null,
      badge: document.querySelector(`#grid .tile[data-peer="${id}"] .badge`)?.textContent,
    };
  }, peerId);
}

/** Sends a chat message through the chat form. */
export async function sendChat(demo: DemoPage, text: string): Promise<void> {
  await demo.page.fill('#chat-input', text);
  await demo.page.press('#chat-input', 'Enter');
}

/** The chat's text messages, oldest first, as `author: text`. */
export async function chatLines(demo: DemoPage): Promise<string[]> {
  return demo.page
    .locator('#messages .message')
    .evaluateAll((items) =>
      items.map(
        (item) =>
          `${item.querySelector('.message-author')?.textContent}: ${item.querySelector('.message-text, .message-file a')?.textContent}`,
      ),
    );
}

/** Saves a screenshot of `demo` as `test-results/<file>`; returns its path. */
export async function screenshot(demo: DemoPage, file: string): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, file);
  await demo.page.screenshot({ path });
  return path;
}

/**
 * Makes `demo` save accepted files "to disk" without a dialog: `showSaveFilePicker`
 * answers with a file in the page's origin-private file system (a real
 * FileSystemFileHandle whose `createWritable()` streams to storage), named as suggested.
 * With `false`, the page has no `showSaveFilePicker` (files are kept in memory, as in
 * Firefox or Safari).
 */
export async function saveFilesTo(demo: DemoPage, disk: boolean): Promise<void> {
  await demo.page.evaluate((disk) => {
    if (!disk) {
      window.showSaveFilePicker = undefined;
      return;
    }
    window.showSaveFilePicker = async (options) => {
      const dir = await navigator.storage.getDirectory();
      return dir.getFileHandle(options?.suggestedName ?? 'file', { create: true });
    };
  }, disk);
}

/** SHA-256 (hex) of a file saved through {@link saveFilesTo}, and its size. */
export async function savedFile(demo: DemoPage, name: string) {
  return demo.page.evaluate(async (name) => {
    const dir = await navigator.storage.getDirectory();
    const file = await (await dir.getFileHandle(name)).getFile();
    const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
    return {
      size: file.size,
      sha256: [...hash].map((byte) => byte.toString(16).padStart(2, '0')).join(''),
    };
  }, name);
}

/** The chat row of the file `name` on `demo` (the last one, when sent twice). */
export function fileRow(demo: DemoPage, name: string) {
  return demo.page
    .locator('#messages .transfer-row')
    .filter({ has: demo.page.locator('.file-name, .file-link', { hasText: name }) })
    .last();
}

/** Drops `files` (made in the page: name, size, a byte pattern) on the chat of `demo`. */
export async function dropFiles(
  demo: DemoPage,
  files: Array<{ name: string; size: number; type?: string }>,
): Promise<void> {
  await demo.page.evaluate((files) => {
    const transfer = new DataTransfer();
    for (const { name, size, type } of files) {
      // (i * 31) % 251 repeats every 251 bytes: write one period, then double it (fast at 64 MiB).
      const bytes = new Uint8Array(size);
      for (let i = 0; i < Math.min(size, 251); i += 1) bytes[i] = (i * 31) % 251;
      for (let filled = 251; filled < size; filled *= 2) bytes.copyWithin(filled, 0, filled);
      transfer.items.add(new File([bytes], name, { type: type ?? 'application/octet-stream' }));
    }
    const side = document.getElementById('side');
    side?.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, cancelable: true }));
    side?.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, cancelable: true }));
  }, files);
}
