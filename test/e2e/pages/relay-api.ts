/** What the relay page (`relay-page.ts`) exposes as `window.peerlaneTest`. */
import type { BytesSummary } from './summary.js';

/** A numbered message stream as the receiver saw it. */
export interface StreamSummary {
  /** Stream messages received. */
  received: number;
  /** The first few places where message `i` (0-based) was not number `i + 1`, as `i: n`. */
  outOfPlace: string[];
}

export interface RelayPageApi {
  /**
   * Joins `room` with these SDK options (`transport`, `iceTransportPolicy`,
   * `relayFallbackMs`, `iceServers`, even `url` for another signaling server…);
   * `startedAt` is taken just before `joinRoom`.
   */
  join(
    room: string,
    options: Record<string, unknown>,
  ): Promise<{ selfId: string; startedAt: number }>;
  /** `peer.transport` and `peer.state` of `peerId` now. */
  peer(peerId: string): { transport: string | null; state: string };
  /** Waits until `peerId` is carried by `transport`; resolves with when it moved (page clock, ms). */
  waitForTransport(peerId: string, transport: string, timeoutMs?: number): Promise<number>;
  /** Waits until `peer.media.state` of `peerId` is `state`; resolves with `peer.media`. */
  waitForMediaState(
    peerId: string,
    state: string,
    timeoutMs?: number,
  ): Promise<{ state: string; reason?: string; message?: string }>;
  /** `peer.safetyNumber()` of `peerId` (with `e2ee`), or null without. */
  safetyNumber(peerId: string): Promise<string | null>;
  /** Codes of every SDK `error` event so far, as `code peerId`. */
  errorCodes(): string[];
  /** Every `media-change` seen, in order, as `peerId state[ reason]`. */
  mediaChanges(): string[];
  /** RTCPeerConnections the SDK made (the page passes it counting WebRTC classes). */
  peerConnections(): number;
  /** Closes every RTCPeerConnection of this page that is not closed yet (cuts the direct link). */
  closePeerConnections(): number;
  /** `errorCode`s of every `icecandidateerror` on this page's RTCPeerConnections. */
  iceCandidateErrors(): number[];
  /** Types of every local ICE candidate gathered on this page (`host`, `relay`…), in order. */
  gatheredCandidates(): string[];
  /** The selected candidate pair of `peerId` (`peer.getStats()`). */
  candidatePath(peerId: string): Promise<{
    path: string;
    local: string | null;
    remote: string | null;
    relayProtocol: string | null;
  }>;
  /** Every `transport-change` seen, in order. */
  transportChanges(): string[];
  send(peerId: string, text: string): void;
  /** The oldest unread text message, and when it arrived (page clock, ms). */
  nextMessage(timeoutMs?: number): Promise<{ from: string; text: string; at: number }>;
  /** Sends `byteLength` pattern bytes as a file; resolves once the receiver verified it. */
  sendFile(peerId: string, byteLength: number, seed: number): Promise<BytesSummary>;
  /** Starts sending a pattern file and returns at once; see `fileProgress`, `fileDone`. */
  startFile(peerId: string, byteLength: number, seed: number): void;
  /** Bytes of the started file the receiver confirmed so far. */
  fileProgress(): number;
  /** Resolves once the started file was verified by the receiver. */
  fileDone(timeoutMs?: number): Promise<BytesSummary>;
  /** Accepts the next incoming file and resolves with its hash once received. */
  receiveFile(timeoutMs?: number): Promise<BytesSummary>;
  /**
   * Starts a numbered stream to `peerId`: `perTick` messages every 10 ms, every 50th
   * `bigBytes` long (several frames).
   */
  startStream(peerId: string, perTick: number, bigBytes: number): void;
  /** Stops the stream; resolves with how many messages were sent. */
  stopStream(): number;
  /** The stream as received here. */
  streamReceived(): StreamSummary;
  /** Waits until `count` stream messages arrived. */
  waitForStream(count: number, timeoutMs?: number): Promise<StreamSummary>;
}

/**
 * The relay benchmark's page (`relay-bench-page.ts`, `npm run bench relay`): the same bytes
 * through a bare binary WebSocket relay and through the SDK's relay transport. Times are
 * ms since the epoch, comparable across the pages of one browser. Exposed as
 * `window.relayBench` (not a test page kind: no test opens it).
 */
export interface RelayBenchApi {
  /** Floor: opens a WebSocket to the bare relay at `url`. */
  floorOpen(url: string, timeoutMs: number): Promise<void>;
  /**
   * Floor: sends `total` bytes as `chunkBytes` binary messages, keeping `bufferedAmount`
   * under `highWaterMark`; resolves when all are handed to the socket.
   */
  floorSend(
    total: number,
    chunkBytes: number,
    highWaterMark: number,
    timeoutMs: number,
  ): Promise<{ startedAt: number }>;
  /** Floor: resolves once `total` bytes arrived. */
  floorReceive(total: number, timeoutMs: number): Promise<{ finishedAt: number }>;
  /**
   * SDK: joins `room` on the signaling server at `url` with `transport: 'relay'`, and with
   * `e2ee: { secret }` when a secret is given.
   */
  sdkJoin(url: string, room: string, secret?: string): Promise<string>;
  /** SDK: waits until `peerId` is on the relay. */
  sdkWaitRelay(peerId: string, timeoutMs: number): Promise<void>;
  /**
   * SDK: makes the Blob of `total` bytes that {@link sdkSend} sends next, and resolves once
   * the browser holds all of it (its bytes reach the browser process after `new Blob()`
   * returns): what a transfer is measured on is made before its clock and CPU readings start.
   */
  sdkFile(total: number): Promise<void>;
  /** SDK: `peer.sendFile` of the Blob from {@link sdkFile}; resolves once the receiver verified it. */
  sdkSend(peerId: string, timeoutMs: number): Promise<{ startedAt: number; finishedAt: number }>;
  /** SDK: accepts the next file into a WritableStream that keeps nothing. */
  sdkReceive(timeoutMs: number): Promise<{ finishedAt: number }>;
  /**
   * SDK: `peer.send` of `total` bytes as `messageBytes` messages, keeping
   * `peer.bufferedAmount` under `highWaterMark`; resolves when all are handed to the SDK.
   */
  sdkSendMessages(
    peerId: string,
    total: number,
    messageBytes: number,
    highWaterMark: number,
    timeoutMs: number,
  ): Promise<{ startedAt: number }>;
  /** SDK: resolves once messages of `total` bytes in all arrived. */
  sdkReceiveMessages(total: number, timeoutMs: number): Promise<{ finishedAt: number }>;
  /** Every SDK error event so far, as `code: message`. */
  sdkErrors(): string[];
  close(): void;
}

declare global {
  interface Window {
    relayBench?: RelayBenchApi;
  }
}
