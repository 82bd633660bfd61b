/**
 * What each test page exposes as `window.peerlaneTest`, typed once for both sides: the
 * page implements it, the harness calls it through `page.evaluate` (see `TestPage.api`).
 * Arguments and results cross the page boundary, so they are plain JSON-like values.
 *
 * To add a page kind: write `pages/<kind>-page.ts` assigning `window.peerlaneTest`, add
 * its interface here and a `<kind>` entry to {@link PageApis}.
 */

/** A data channel that opened, and when (ms since the epoch, comparable across pages). */
export interface ChannelOpen {
  peerId: string;
  at: number;
}

/** A text message as a page received it. */
export interface TextMessage {
  from: string;
  text: string;
}

/**
 * The raw page: a bare `RTCPeerConnection` client of the signaling protocol, no SDK and
 * no simple-peer. The newcomer offers to every peer already in the room; offers are
 * answered; candidates trickle. One data channel, labelled `data`, per pair of peers.
 */
export interface RawPageApi {
  /**
   * Opens a fresh WebSocket, joins `room` and starts offering to the peers in the welcome.
   * `startedAt` is taken before the WebSocket is created.
   */
  join(room: string): Promise<{ peerId: string; peers: string[]; startedAt: number }>;
  /** The first data channel to open (on this page), waiting up to `timeoutMs`. */
  firstOpen(timeoutMs?: number): Promise<ChannelOpen>;
  /** The data channel to `peerId` once open, waiting up to `timeoutMs`. */
  waitForOpen(peerId: string, timeoutMs?: number): Promise<ChannelOpen>;
  /** Sends text on the open channel to `peerId`. */
  send(peerId: string, text: string): void;
  /** Takes the oldest unread text message, waiting up to `timeoutMs`. */
  nextMessage(timeoutMs?: number): Promise<TextMessage>;
  /** Every local ICE candidate line gathered so far. */
  localCandidates(): string[];
  /** Closes the connections and the WebSocket. */
  leave(): void;
}

/** A peer as the SDK page reports it. */
export interface PeerSummary {
  id: string;
  meta: Record<string, string | number | boolean | null>;
  state: string;
}

/**
 * The SDK page: `joinRoom` from the browser bundle (`/peerlane.js`). It records every room
 * event as it happens; `next…` methods take the oldest unread one, waiting up to
 * `timeoutMs`. An SDK `error` event is logged with `console.error`, so it fails the test
 * unless allowed.
 */
export interface SdkPageApi {
  /**
   * Joins `room` with `joinRoom()`; resolves after the welcome. `startedAt` is taken just
   * before `joinRoom` is called (it opens the WebSocket).
   */
  join(
    room: string,
    options?: { meta?: PeerSummary['meta'] },
  ): Promise<{ selfId: string; peers: PeerSummary[]; startedAt: number }>;
  /** `room.peers` now. */
  peers(): PeerSummary[];
  /** The first peer connection to reach `connected` (data channel open) on this page. */
  firstOpen(timeoutMs?: number): Promise<ChannelOpen>;
  /** The connection to `peerId` once `connected` (now or later). */
  waitForOpen(peerId: string, timeoutMs?: number): Promise<ChannelOpen>;
  /** Takes the oldest unread `peer-joined`. */
  nextPeerJoined(timeoutMs?: number): Promise<PeerSummary>;
  /** Takes the oldest unread `peer-left`. */
  nextPeerLeft(timeoutMs?: number): Promise<{ id: string; reason: string }>;
  /** `room.peer(peerId).send(text)`. */
  send(peerId: string, text: string): void;
  /** `room.broadcast(text)`. */
  broadcast(text: string): void;
  /** Takes the oldest unread text message. */
  nextMessage(timeoutMs?: number): Promise<TextMessage>;
  /**
   * Sends `patternBytes(byteLength, seed)` to `peerId` as one binary message; resolves
   * with its hash once queued.
   */
  sendPattern(peerId: string, byteLength: number, seed: number): Promise<BytesSummary>;
  /** Takes the oldest unread binary message and summarizes it. */
  nextBytes(timeoutMs?: number): Promise<BytesSummary>;
  /** `room.leave()`. */
  leave(): Promise<void>;
  /** Names of the globals that loading `/peerlane.js` added. */
  globalsAdded(): string[];
}

/** What a page receives from one peer: its stream's tracks now, by kind. */
export interface RemoteMedia {
  peerId: string;
  audio: number;
  video: number;
}

/** RTP counters from `peer.getStats()`, for one direction of one peer connection. */
export interface MediaCounts {
  audioPackets: number;
  videoPackets: number;
  videoFrames: number;
  /** Width of the last video frame, or null. */
  videoWidth: number | null;
  /** Height of the last video frame, or null. */
  videoHeight: number | null;
}

/**
 * The media page: the SDK bundle's `room.media` with Chromium's fake camera, microphone
 * and screen. It records every `stream` and `stream-ended` event; an SDK `error` is
 * logged with `console.error` (failing the test unless allowed).
 */
export interface MediaPageApi {
  /**
   * Joins `room`; with `publish`, captures the fake camera and microphone and publishes
   * them first; `sdk`: more `joinRoom` options (`iceTransportPolicy`, `directRetryMs`…).
   */
  join(
    room: string,
    options?: { publish?: boolean; sdk?: Record<string, unknown> },
  ): Promise<{ selfId: string }>;
  /** `peer.media` of `peerId` now (whether audio/video can reach it, and why not). */
  media(peerId: string): { state: string; reason?: string };
  /** `peer.safetyNumber()` of `peerId` (with `e2ee`), or null without. */
  safetyNumber(peerId: string): Promise<string | null>;
  /** Captures camera and microphone (`getUserMedia`) and publishes them. */
  publish(): Promise<void>;
  unpublish(): void;
  setAudioEnabled(enabled: boolean): void;
  setVideoEnabled(enabled: boolean): void;
  /** `room.media.shareScreen()` (the fake screen, 1280×720 here). */
  shareScreen(): Promise<void>;
  stopScreenShare(): void;
  /** Switches to the `index`th camera of `enumerateDevices()`; returns its label. */
  switchCamera(index: number): Promise<string>;
  /** The label of the video track being published, or null. */
  publishedVideoLabel(): string | null;
  /** What `peerId`'s `peer.stream` holds now. */
  remoteMedia(peerId: string): RemoteMedia;
  /** Waits until `peerId`'s stream has exactly `audio` and `video` tracks (0, 0: no stream). */
  waitForMedia(peerId: string, audio: number, video: number, timeoutMs?: number): Promise<void>;
  /** What arrived from `peerId` so far (`inbound` of its stats). */
  received(peerId: string): Promise<MediaCounts>;
  /** What was sent to `peerId` so far (`outbound` of its stats). */
  sent(peerId: string): Promise<MediaCounts>;
  /** `peer.getStats()`'s path and round-trip time. */
  path(peerId: string): Promise<{ transport: string; path: string; rttMs: number | null }>;
  /**
   * `peer.getStats()`'s connection-wide numbers: bytes so far, bitrates since this page's
   * previous `getStats()` of that peer (null on the first), and the selected pair's
   * candidate types as WebRTC names them.
   */
  traffic(peerId: string): Promise<{
    path: string;
    localCandidateType: string | null;
    remoteCandidateType: string | null;
    bytesReceived: number;
    bytesSent: number;
    bitrateInKbps: number | null;
    bitrateOutKbps: number | null;
  }>;
  /** Every `stream` / `stream-ended` event so far: `['stream' | 'ended', peerId]`. */
  streamEvents(): Array<[string, string]>;
  /** Closes every open RTCPeerConnection of the page (a direct link cut); returns how many. */
  closePeerConnections(): number;
  /**
   * What the page played of `peerId`'s streams so far: video frames a `<video>` showing it
   * rendered (`requestVideoFrameCallback`) and its last size, and audio samples its audio
   * track delivered (a `MediaStreamTrackProcessor`; -1 where the browser has none). Each
   * `stream` event attaches the stream anew, as an app would.
   */
  rendered(peerId: string): {
    videoFrames: number;
    width: number;
    height: number;
    audioSamples: number;
  };
  leave(): Promise<void>;
}

import type { BenchFilesPageApi, FilesPageApi } from './files-api.js';
import type { RelayPageApi } from './relay-api.js';
/** The files page's API is declared in its own file. */
import type { BytesSummary } from './summary.js';

/** Page kind → its API; `openPage(kind)` returns a handle typed by this. */
export interface PageApis {
  raw: RawPageApi;
  sdk: SdkPageApi;
  media: MediaPageApi;
  files: FilesPageApi;
  'bench-files': BenchFilesPageApi;
  relay: RelayPageApi;
}

/** A page kind: the harness serves `/<kind>.html`, which loads `pages/<kind>-page.ts`. */
export type PageKind = keyof PageApis;

declare global {
  interface Window {
    /** Set by a test page once it is ready to be driven. */
    peerlaneTest?: PageApis[PageKind];
  }
}
