/**
 * The media page: publishes the browser's fake camera and microphone through `room.media`
 * (SDK bundle from `/peerlane.js`) and reports what arrives from the other peers. Runs in
 * the browser.
 */
import type * as Peerlane from '../../../sdk/index.js';
import type { MediaCounts, MediaPageApi, RemoteMedia } from './api.js';
import { signalingUrl, within } from './page-kit.js';

const BUNDLE_URL = '/peerlane.js';
const { joinRoom } = (await import(BUNDLE_URL)) as typeof Peerlane;

let room: Peerlane.Room | undefined;
/** Every RTCPeerConnection the SDK made here, so a test can cut them. */
const connections: RTCPeerConnection[] = [];
class RecordedPeerConnection extends RTCPeerConnection {
  constructor(config?: RTCConfiguration) {
    super(config);
    connections.push(this);
  }
}
const wrtc = { RTCPeerConnection: RecordedPeerConnection, RTCSessionDescription, RTCIceCandidate };
/** What was played of each peer's streams (see `rendered()`). */
const played = new Map<
  string,
  { videoFrames: number; width: number; height: number; audioSamples: number }
>();
const players = new Map<string, { video: HTMLVideoElement; stop: () => void }>();

/** Shows `stream` in a `<video>` as an app would, counting frames and audio samples. */
function play(peerId: string, stream: MediaStream): void {
  players.get(peerId)?.stop();
  const counts = played.get(peerId) ?? { videoFrames: 0, width: 0, height: 0, audioSamples: -1 };
  played.set(peerId, counts);
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  video.srcObject = stream;
  document.body.append(video);
  let stopped = false;
  // The frame's own size: the element's videoWidth can read 0 while the track changes size.
  const onFrame = (_now: number, frame: { width: number; height: number }) => {
    if (stopped) return;
    counts.videoFrames += 1;
    counts.width = frame.width;
    counts.height = frame.height;
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  video.play().catch(() => {});
  const Processor = (globalThis as Record<string, unknown>).MediaStreamTrackProcessor as
    | (new (init: {
        track: MediaStreamTrack;
      }) => { readable: ReadableStream<AudioData> })
    | undefined;
  const audio = stream.getAudioTracks()[0];
  let reader: ReadableStreamDefaultReader<AudioData> | undefined;
  if (Processor && audio) {
    if (counts.audioSamples < 0) counts.audioSamples = 0;
    const samples = new Processor({ track: audio }).readable.getReader();
    reader = samples;
    const read = async (): Promise<void> => {
      for (let i = 0; i < 1e6 && !stopped; i += 1) {
        const { done, value } = await samples.read();
        if (done) return;
        counts.audioSamples += value.numberOfFrames;
        value.close();
      }
    };
    read().catch(() => {});
  }
  players.set(peerId, {
    video,
    stop: () => {
      stopped = true;
      reader?.cancel().catch(() => {});
      video.remove();
    },
  });
}
const events: Array<[string, string]> = [];
/** Called after every stream event, to wake waiters. */
const wakers = new Set<() => void>();

function joined(): Peerlane.Room {
  if (!room) throw new Error('call join() first');
  return room;
}

function peer(id: string): Peerlane.RemotePeer {
  const found = joined().peer(id);
  if (!found) throw new Error(`peer ${id} is not in the room`);
  return found;
}

function remoteMedia(peerId: string): RemoteMedia {
  // A peer not announced yet sends nothing yet.
  const stream = joined().peer(peerId)?.stream;
  return {
    peerId,
    audio: stream?.getAudioTracks().length ?? 0,
    video: stream?.getVideoTracks().length ?? 0,
  };
}

function counts(side: Peerlane.PeerStats['inbound']): MediaCounts {
  return {
    audioPackets: side.audio?.packets ?? 0,
    videoPackets: side.video?.packets ?? 0,
    videoFrames: side.video?.frames ?? 0,
    videoWidth: side.video?.frameWidth ?? null,
    videoHeight: side.video?.frameHeight ?? null,
  };
}

async function publish(): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  joined().media.publish(stream);
}

const api: MediaPageApi = {
  media: (id) => {
    const media = room?.peer(id)?.media;
    if (!media) throw new Error(`peer ${id} is not in the room`);
    return { ...media };
  },
  safetyNumber: async (id) => (await peer(id).safetyNumber()) ?? null,
  async join(name, options = {}) {
    const joining = await joinRoom({ url: signalingUrl(), room: name, wrtc, ...options.sdk });
    room = joining;
    const record = (kind: string, remote: Peerlane.RemotePeer) => {
      events.push([kind, remote.id]);
      for (const wake of [...wakers]) wake();
    };
    joining.on('stream', (stream, remote) => {
      play(remote.id, stream);
      record('stream', remote);
    });
    joining.on('stream-ended', (_, remote) => record('ended', remote));
    joining.on('peer-joined', () => {
      for (const wake of [...wakers]) wake();
    });
    joining.on('error', (error) => console.error(`peerlane error ${error.code}: ${error.message}`));
    if (options.publish) await publish();
    return { selfId: joining.selfId };
  },
  publish,
  unpublish: () => joined().media.unpublish(),
  setAudioEnabled: (enabled) => joined().media.setAudioEnabled(enabled),
  setVideoEnabled: (enabled) => joined().media.setVideoEnabled(enabled),
  shareScreen: () => joined().media.shareScreen(),
  stopScreenShare: () => joined().media.stopScreenShare(),
  async switchCamera(index) {
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter(
      (device) => device.kind === 'videoinput',
    );
    const camera = cameras[index];
    if (!camera) throw new Error(`there are ${cameras.length} cameras, no #${index}`);
    await joined().media.switchCamera(camera.deviceId);
    return camera.label;
  },
  publishedVideoLabel: () => joined().media.stream?.getVideoTracks()[0]?.label ?? null,
  remoteMedia,
  waitForMedia(peerId, audio, video, timeoutMs = 5000) {
    const matches = () => {
      const now = remoteMedia(peerId);
      return now.audio === audio && now.video === video;
    };
    if (matches()) return Promise.resolve();
    let wake = () => {};
    const done = new Promise<void>((resolve) => {
      wake = () => {
        if (matches()) resolve();
      };
      wakers.add(wake);
    });
    const what = `${audio} audio and ${video} video track(s) from ${peerId} (now ${JSON.stringify(remoteMedia(peerId))})`;
    return within(done, timeoutMs, what).finally(() => wakers.delete(wake));
  },
  received: async (peerId) => counts((await peer(peerId).getStats()).inbound),
  sent: async (peerId) => counts((await peer(peerId).getStats()).outbound),
  async path(peerId) {
    const stats = await peer(peerId).getStats();
    return { transport: stats.transport, path: stats.pairType, rttMs: stats.rttMs ?? null };
  },
  async traffic(peerId) {
    const stats = await peer(peerId).getStats();
    return {
      path: stats.path,
      localCandidateType: stats.localCandidateType ?? null,
      remoteCandidateType: stats.remoteCandidateType ?? null,
      bytesReceived: stats.bytesReceived,
      bytesSent: stats.bytesSent,
      bitrateInKbps: stats.bitrateInKbps ?? null,
      bitrateOutKbps: stats.bitrateOutKbps ?? null,
    };
  },
  streamEvents: () => events,
  closePeerConnections() {
    const open = connections.filter((pc) => pc.connectionState !== 'closed');
    for (const pc of open) pc.close();
    return open.length;
  },
  rendered: (peerId) => ({
    ...(played.get(peerId) ?? { videoFrames: 0, width: 0, height: 0, audioSamples: -1 }),
  }),
  leave: () => joined().leave(),
};

window.peerlaneTest = api;
