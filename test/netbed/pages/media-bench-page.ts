/**
 * The media benchmark's page (`npm run bench media-relay`): publishes a stamped camera —
 * the fake camera drawn on a canvas at 30 fps under moving noise (as a real camera's sensor
 * gives), with the capture time drawn into each frame (`frame-stamp.ts`) — and a continuous
 * 440 Hz tone as its microphone, and watches the other
 * peer's tile (`tile-watch.ts`): latency of every rendered frame, frames, audio gaps.
 * Served by the Peerlane server on the bed; runs in the browser.
 */
import type * as Peerlane from '../../../sdk/index.js';
import { Inbox, within } from '../../e2e/pages/page-kit.js';
import { drawStamp } from './frame-stamp.js';
import { type TileFigures, TileWatch } from './tile-watch.js';

const BUNDLE_URL = '/peerlane.js';
const { joinRoom } = (await import(BUNDLE_URL)) as typeof Peerlane;

const WIDTH = 640;
const HEIGHT = 480;
const FPS = 30;

let room: Peerlane.Room | undefined;
const peers = new Inbox<string>();
const tiles = new Map<string, TileWatch>();
const streams = new Inbox<string>();
const errors: string[] = [];
let stopCamera = () => {};

function joined(): Peerlane.Room {
  if (!room) throw new Error('call join() first');
  return room;
}

function tile(peerId: string): TileWatch {
  let found = tiles.get(peerId);
  if (!found) {
    found = new TileWatch({ stamps: true, audioGaps: true });
    tiles.set(peerId, found);
  }
  return found;
}

/** A canvas of random grey pixels, made once. */
function noise(width: number, height: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2d canvas');
  const image = context.createImageData(width, height);
  for (let i = 0; i < image.data.length; i += 4) {
    const grey = Math.floor(Math.random() * 256);
    image.data[i] = grey;
    image.data[i + 1] = grey;
    image.data[i + 2] = grey;
    image.data[i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

/**
 * The fake camera with sensor noise and a stamp, as a canvas track; and a steady tone as
 * audio.
 */
async function stampedCall(): Promise<MediaStream> {
  const camera = await navigator.mediaDevices.getUserMedia({ video: true });
  const source = document.createElement('video');
  source.muted = true;
  source.srcObject = camera;
  await source.play();
  const canvas = document.createElement('canvas');
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2d canvas');
  const grain = noise(WIDTH * 2, HEIGHT * 2);
  const draw = () => {
    context.drawImage(source, 0, 0, WIDTH, HEIGHT);
    // A camera's sensor noise, new in every frame: the encoder must spend its bitrate (the
    // fake camera's flat picture alone needs ~130 kbit/s of VP8 and would fill no link).
    context.globalAlpha = 0.2;
    context.drawImage(grain, -Math.random() * WIDTH, -Math.random() * HEIGHT);
    context.globalAlpha = 1;
    drawStamp(context, Date.now(), WIDTH, HEIGHT);
  };
  draw();
  const timer = setInterval(draw, 1000 / FPS);
  const video = canvas.captureStream(FPS).getVideoTracks()[0];
  if (!video) throw new Error('the canvas gave no track');
  const audioContext = new AudioContext({ sampleRate: 48_000 });
  await audioContext.resume();
  const tone = new OscillatorNode(audioContext, { frequency: 440 });
  const gain = new GainNode(audioContext, { gain: 0.3 });
  const out = audioContext.createMediaStreamDestination();
  tone.connect(gain).connect(out);
  tone.start();
  const audio = out.stream.getAudioTracks()[0];
  if (!audio) throw new Error('the AudioContext gave no track');
  stopCamera = () => {
    clearInterval(timer);
    for (const track of camera.getTracks()) track.stop();
    audioContext.close().catch(() => {});
  };
  return new MediaStream([audio, video]);
}

/** Media counters of one peer from `peer.getStats()` (relay: frames; WebRTC: RTP). */
export interface MediaCounters {
  sentVideoFrames: number;
  sentVideoBytes: number;
  /** Relay: video frames arrived; WebRTC: RTP packets. */
  receivedVideoPackets: number;
  decodedVideoFrames: number;
  receivedAudioPackets: number;
}

/** What `window.peerlaneMediaBench` offers the benchmark. */
export interface MediaBenchApi {
  /** Joins `name` with these SDK options; resolves with this peer's id. */
  join(name: string, options: Record<string, unknown>): Promise<string>;
  /** The first other peer's id. */
  firstPeer(timeoutMs: number): Promise<string>;
  /** Publishes the stamped camera and the tone (call after a user gesture: the AudioContext). */
  publish(): Promise<void>;
  /** Waits for a `stream` event from `peerId`. */
  waitForStream(peerId: string, timeoutMs: number): Promise<void>;
  /** `peer.media` and the path: route, reason. */
  media(peerId: string): { state: string; route: string | null; reason: string | null };
  /** Waits (never failing) for `peer.media.state` to be `state`; returns `media()`. */
  waitForMedia(
    peerId: string,
    state: string,
    timeoutMs: number,
  ): Promise<{ state: string; route: string | null; reason: string | null }>;
  /** Starts a measuring window on `peerId`'s tile. */
  reset(peerId: string): void;
  /** The tile's figures since `reset()`. */
  figures(peerId: string): TileFigures;
  /** `peer.getStats()`'s media counters of `peerId`, both directions. */
  counters(peerId: string): Promise<MediaCounters>;
  /** Errors the SDK reported. */
  errors(): string[];
  leave(): Promise<void>;
}

const api: MediaBenchApi = {
  async join(name, options) {
    const joining = await joinRoom({ url: `ws://${location.host}/ws`, room: name, ...options });
    room = joining;
    joining.on('peer-joined', (remote) => peers.push(remote.id));
    joining.on('stream', (stream, remote) => {
      tile(remote.id).attach(stream);
      streams.push(remote.id);
    });
    joining.on('error', (error) => errors.push(`${error.code}: ${error.message}`));
    for (const remote of joining.peers) peers.push(remote.id);
    return joining.selfId;
  },
  firstPeer: (timeoutMs) => peers.first('another peer', timeoutMs),
  async publish() {
    joined().media.publish(await stampedCall());
  },
  async waitForStream(peerId, timeoutMs) {
    await streams.first(`a stream from ${peerId}`, timeoutMs, (id) => id === peerId);
  },
  media(peerId) {
    const media = joined().peer(peerId)?.media;
    if (!media) throw new Error(`peer ${peerId} is not in the room`);
    return {
      state: media.state,
      route: 'route' in media ? media.route : null,
      reason: 'reason' in media ? media.reason : null,
    };
  },
  async waitForMedia(peerId, state, timeoutMs) {
    const until = async () => {
      for (let i = 0; i < 10_000 && joined().peer(peerId)?.media.state !== state; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await within(until(), timeoutMs, `media ${state}`).catch(() => {});
    return api.media(peerId);
  },
  reset: (peerId) => tile(peerId).reset(),
  figures: (peerId) => tile(peerId).figures(),
  async counters(peerId) {
    const stats = await joined().peer(peerId)?.getStats();
    return {
      sentVideoFrames: stats?.outbound.video?.frames ?? 0,
      sentVideoBytes: stats?.outbound.video?.bytes ?? 0,
      receivedVideoPackets: stats?.inbound.video?.packets ?? 0,
      decodedVideoFrames: stats?.inbound.video?.frames ?? 0,
      receivedAudioPackets: stats?.inbound.audio?.packets ?? 0,
    };
  },
  errors: () => [...errors],
  async leave() {
    stopCamera();
    for (const watch of tiles.values()) watch.close();
    await room?.leave();
  },
};

declare global {
  interface Window {
    /** Set by the media benchmark's page once it can be driven. */
    peerlaneMediaBench?: MediaBenchApi;
  }
}

window.peerlaneMediaBench = api;
