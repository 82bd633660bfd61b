/** What the bed's SDK page (`netbed-page.ts`) exposes as `window.peerlaneNetbed`. */
import type { BytesSummary } from '../../e2e/pages/summary.js';
import type { TileFigures } from './tile-watch.js';

/** A received text message and when it arrived (ms since the epoch, sub-ms precise). */
export interface Arrival {
  from: string;
  text: string;
  at: number;
}

/** The selected path of a peer as `peer.getStats()` names it. */
export interface PathStats {
  /** `webrtc`, or `relay` for the signaling server's WebSocket relay. */
  transport: string;
  /** `host`, `srflx`, `turn` or `unknown`. */
  pairType: string;
  local: string | null;
  remote: string | null;
  /** For `turn`: how this side reaches the TURN server. */
  relayProtocol: string | null;
}

/** A file received while the bed watched its progress. */
export interface WatchedFile extends BytesSummary {
  /** When bytes arrived (every sample where `bytesTransferred` grew), ms since the epoch. */
  firstByteAt: number;
  doneAt: number;
  /** The longest time with no new byte, in ms, over gaps that end after `since`. */
  longestStallMs: number;
  /** When that gap began. */
  longestStallFrom: number;
}

export interface NetbedPageApi {
  /**
   * Joins `room` with these SDK options and sends `greeting` to every peer the moment it
   * is seen (already there at join, or on `peer-joined`). `startedAt`: just before `joinRoom`.
   */
  join(
    room: string,
    options: Record<string, unknown>,
    greeting: string,
  ): Promise<{ selfId: string; startedAt: number }>;
  /** The id of the first other peer, waiting up to `timeoutMs` for one. */
  firstPeer(timeoutMs: number): Promise<string>;
  /** The oldest unread text message. */
  nextMessage(timeoutMs: number): Promise<Arrival>;
  send(peerId: string, text: string): void;
  /** `peer.transport` (null: none yet) and `peer.state`. */
  peer(peerId: string): { transport: string | null; state: string };
  /** Waits until `peer.transport` is `transport`; resolves with when it changed to it. */
  waitForTransport(peerId: string, transport: string, timeoutMs: number): Promise<number>;
  /** Every `transport-change`, as `transport@ms since join`. */
  transportChanges(): string[];
  pathStats(peerId: string): Promise<PathStats>;
  /** Sends pattern bytes as a file; resolves once the receiver verified it. */
  sendFile(peerId: string, byteLength: number, seed: number): Promise<BytesSummary>;
  /** Accepts the next incoming file; resolves with its hash once received. */
  receiveFile(timeoutMs: number): Promise<BytesSummary>;
  /** Starts sending pattern bytes as a file and returns at once. */
  startFile(peerId: string, byteLength: number, seed: number): void;
  /** Resolves once the started file was verified by the receiver. */
  fileDone(timeoutMs: number): Promise<BytesSummary>;
  /** Accepts the next incoming file and samples its progress every 10 ms until done. */
  watchIncoming(timeoutMs: number): Promise<void>;
  /** Bytes of the watched file received so far (0 before it started). */
  watchedBytes(): number;
  /** Resolves when the watched file is received, with its stall figures after `since`. */
  watchedDone(since: number, timeoutMs: number): Promise<WatchedFile>;
  /** Publishes the fake camera and microphone with `room.media`. */
  publishCamera(): Promise<void>;
  /** Every `stream` / `stream-ended` event: `stream peerId @ms since join`. */
  streamEvents(): string[];
  /** `peer.media`: whether audio and video can reach `peerId`, and why not. */
  media(peerId: string): { state: string; reason: string | null; route: string | null };
  /** Waits (up to `timeoutMs`, never failing) for `peer.media.state` to be `state`; returns `peer.media`. */
  waitForMedia(
    peerId: string,
    state: string,
    timeoutMs: number,
  ): Promise<{ state: string; reason: string | null; route: string | null }>;
  /** Every `media-change`, as `state reason@ms since join`. */
  mediaChanges(): string[];
  /**
   * What this page's tile of `peerId` played (`tile-watch.ts`: every `stream` event's stream
   * in a `<video>`; rendered frames, the longest time without a new one, audio samples),
   * since `resetTile(peerId)` or its first stream.
   */
  tile(peerId: string): TileFigures;
  /** Starts the tile's figures again from now. */
  resetTile(peerId: string): void;
  /** Video frames decoded from `peerId` so far (`getStats().inbound.video.frames`). */
  framesFrom(peerId: string): Promise<number>;
  /** What this page's RTCPeerConnections did: ICE servers, candidates, errors, states. */
  iceLog(): string[];
  /** Every candidate pair of every RTCPeerConnection: addresses, state, checks sent and answered. */
  candidatePairs(): Promise<string[]>;
  /** The time now on the page's clock (ms since the epoch). */
  now(): number;
  leave(): Promise<void>;
}

declare global {
  interface Window {
    /** Set by the bed's SDK page once it can be driven. */
    peerlaneNetbed?: NetbedPageApi;
  }
}
