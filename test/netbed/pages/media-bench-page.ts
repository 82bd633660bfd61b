/**
 * The media benchmark's page (`npm run bench media-relay`): publishes a stamped camera —
 * the fake camera drawn at 30 fps under moving noise (as a real camera's sensor gives),
 * with the capture time drawn into each frame (`frame-stamp.ts`), in a Worker
 * (`camera-worker.ts`) — and a continuous
 * 440 Hz tone as its microphone, and watches the other
 * peer's tile (`tile-watch.ts`): latency of every rendered frame, frames, audio gaps.
 * Served by the Peerlane server on the bed; runs in the browser.
 */
import type * as Peerlane from '../../../sdk/index.js';
import { Inbox, within } from '../../e2e/pages/page-kit.js';
import type { CameraStart } from './camera-worker.js';
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
/** Every `transport-change`, as `route@ms` since the page loaded. */
const routeChanges: string[] = [];
let stopCamera = () => {};
/** The file this page sends during a call (`startFile`), if any, and how it ended. */
let outgoing: Peerlane.FileTransfer | undefined;
let fileDone = false;
let fileError: string | null = null;

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

interface TrackProcessor {
  readonly readable: ReadableStream<VideoFrame>;
}
interface TrackGenerator extends MediaStreamTrack {
  readonly writable: WritableStream<VideoFrame>;
}
/** Chromium's track processor and generator, which the camera worker needs. */
function trackStreams() {
  const scope = globalThis as unknown as {
    MediaStreamTrackProcessor?: new (init: { track: MediaStreamTrack }) => TrackProcessor;
    MediaStreamTrackGenerator?: new (init: { kind: 'video' }) => TrackGenerator;
  };
  const { MediaStreamTrackProcessor: Processor, MediaStreamTrackGenerator: Generator } = scope;
  if (!Processor || !Generator) {
    throw new Error('the media benchmark needs MediaStreamTrackProcessor and …Generator');
  }
  return { Processor, Generator };
}

/**
 * The fake camera under sensor noise with a stamp, drawn in a Worker (`camera-worker.ts`:
 * a real camera costs the page's main thread nothing); and a steady tone as audio.
 */
async function stampedCall(): Promise<MediaStream> {
  const { Processor, Generator } = trackStreams();
  const camera = await navigator.mediaDevices.getUserMedia({ video: true });
  const [cameraTrack] = camera.getVideoTracks();
  if (!cameraTrack) throw new Error('the fake camera gave no track');
  const video = new Generator({ kind: 'video' });
  const worker = new Worker(new URL('./camera-worker.js', import.meta.url), { type: 'module' });
  const start: CameraStart = {
    camera: new Processor({ track: cameraTrack }).readable,
    out: video.writable,
    width: WIDTH,
    height: HEIGHT,
    fps: FPS,
  };
  worker.postMessage(start, [start.camera, start.out]);
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
    worker.terminate();
    video.stop();
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
  /** The width video is sent at now (relay: encoded; WebRTC: the encoder's), not a count. */
  sentVideoWidth: number;
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
  /**
   * Starts sending `peerId` a file of `mib` MiB (a Blob, made first, as a dropped file is)
   * and returns at once; the other page accepts it into a sink that keeps nothing.
   */
  startFile(peerId: string, mib: number): Promise<void>;
  /** Bytes of that file the receiver confirmed so far; how it ended, if it has. */
  fileProgress(): { bytes: number; done: boolean; error: string | null };
  /** `peer.transport` of `peerId`: how data reaches it. */
  transport(peerId: string): string | null;
  /** Errors the SDK reported. */
  errors(): string[];
  /** Every `transport-change` so far, as `route@ms` (`performance.now()` of this page). */
  routeChanges(): { at: number; changes: string[] };
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
    joining.on('transport-change', (_, transport) => {
      routeChanges.push(`${transport}@${Math.round(performance.now())}`);
    });
    joining.on('incoming-file', (incoming) => {
      const sink = new WritableStream<Uint8Array>({ write() {} });
      incoming.accept({ writable: sink }).done.catch(() => {});
    });
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
      sentVideoWidth: stats?.outbound.video?.frameWidth ?? 0,
    };
  },
  async startFile(peerId, mib) {
    const remote = joined().peer(peerId);
    if (!remote) throw new Error(`no peer ${peerId}`);
    const chunk = new Uint8Array(1024 * 1024).map((_, i) => i);
    const file = new Blob(Array.from({ length: mib }, () => chunk));
    outgoing = remote.sendFile(file, { name: 'during-the-call.bin' });
    outgoing.done.then(
      () => {
        fileDone = true;
      },
      (error: Error) => {
        // Cancelled by leave() at the end of the call: not an error of the measurement.
        if (room) fileError = error.message;
      },
    );
  },
  transport: (peerId) => joined().peer(peerId)?.transport ?? null,
  fileProgress: () => ({
    bytes: outgoing?.progress.bytesConfirmed ?? 0,
    done: fileDone,
    error: fileError,
  }),
  errors: () => [...errors],
  routeChanges: () => ({ at: performance.now(), changes: [...routeChanges] }),
  async leave() {
    const leaving = room;
    room = undefined;
    outgoing?.cancel('the call ended');
    stopCamera();
    for (const watch of tiles.values()) watch.close();
    await leaving?.leave();
  },
};

declare global {
  interface Window {
    /** Set by the media benchmark's page once it can be driven. */
    peerlaneMediaBench?: MediaBenchApi;
  }
}

window.peerlaneMediaBench = api;
