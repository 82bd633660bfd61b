/**
 * What the files page (`files-page.ts`) exposes as `window.peerlaneTest`: file transfers
 * driven from the test, bytes made in the page from `pattern.ts`, results summarized.
 * Transfers are named by a number the page gives them.
 */

/** How a transfer ended, as the page saw it. */
export interface TransferOutcome {
  state: string;
  /** The error code, when it failed. */
  code?: string;
  message?: string;
  /** What the receiver got: its size and SHA-256 (hex), when it received into a Blob. */
  size?: number;
  sha256?: string;
  name: string;
  type: string;
  /** The last progress figures. */
  bytesTransferred: number;
  bytesConfirmed: number;
  /** `progress` events seen. */
  progressEvents: number;
}

/** An offer as it arrived. */
export interface OfferSummary {
  from: string;
  name: string;
  size: number | null;
  type: string;
}

export interface FilesPageApi {
  /**
   * Joins, recording every RTCPeerConnection the SDK makes; `relayFallbackMs`,
   * `callFilePace` and `transport` as the SDK's options (default the SDK's).
   */
  join(
    room: string,
    options?: { relayFallbackMs?: number; callFilePace?: number; transport?: 'auto' | 'relay' },
  ): Promise<{ selfId: string }>;
  /** Resolves once `peerId` is connected on any route (the relay too). */
  waitForPeer(peerId: string, timeoutMs?: number): Promise<void>;
  /** Resolves once a stream of `peerId`'s has arrived here (a call runs). */
  waitForStream(peerId: string, timeoutMs?: number): Promise<void>;
  /** Publishes the fake camera and microphone: a call runs with every peer. */
  publish(): Promise<void>;
  /** Closes every RTCPeerConnection the SDK made (the direct connections die). */
  breakConnections(): number;
  /** Every `transport-change` so far, as `peerId transport`. */
  transportChanges(): string[];
  /**
   * Messages and bytes sent so far on the bulk data channel (`peerlane-bulk`, the files'
   * lane) of every connection the page made, from the connections' `data-channel` stats.
   */
  bulkSent(): Promise<{ messages: number; bytes: number }>;
  /**
   * The WebRTC connection to `peerId` once open (`transport` `direct` or `turn`: messages
   * and files start on the relay before it).
   */
  waitForOpen(peerId: string, timeoutMs?: number): Promise<void>;
  /**
   * Sends `patternBytes(size, seed)` as a File to `peerId` (to everyone when null, with
   * `room.sendFile`); returns the transfer numbers. `corruptOffset`: flips one bit of the
   * file's byte at that offset after it was hashed (`corrupt-chunk.ts`).
   */
  sendPattern(
    peerId: string | null,
    size: number,
    seed: number,
    options?: { name?: string; type?: string; corruptOffset?: number },
  ): number[];
  /** SHA-256 (hex) of `patternBytes(size, seed)`. */
  patternSha256(size: number, seed: number): Promise<string>;
  /** Waits for the next offer and answers it: into a Blob, a counting WritableStream, or no. */
  answerNext(
    how: 'blob' | 'stream' | 'reject',
    timeoutMs?: number,
  ): Promise<{ offer: OfferSummary; transfer: number | null }>;
  /** Bytes transferred so far. */
  progress(transfer: number): number;
  cancel(transfer: number, reason: string): void;
  /** Waits until the transfer is over. */
  outcome(transfer: number, timeoutMs?: number): Promise<TransferOutcome>;
  leave(): Promise<void>;
}

/**
 * The file benchmark's page (`bench-files-page.ts`): the same bytes sent three ways between
 * two pages. Times are ms since the epoch, comparable across the pages of one browser.
 */
export interface BenchFilesPageApi {
  /** Raw: makes an RTCPeerConnection with one data channel; resolves with the whole offer. */
  rawOffer(): Promise<string>;
  /** Raw: answers `offer`; resolves with the whole answer. */
  rawAnswer(offer: string): Promise<string>;
  rawAccept(answer: string): Promise<void>;
  /**
   * Raw: sends `total` bytes in `chunkBytes` messages (one buffer, no copy), waiting while
   * `bufferedAmount` is over `highWater` until it is down to a quarter of it.
   */
  rawSend(
    total: number,
    chunkBytes: number,
    highWater: number,
    timeoutMs: number,
  ): Promise<{ startedAt: number }>;
  /** Raw: resolves once `total` bytes arrived. */
  rawReceive(total: number, timeoutMs: number): Promise<{ finishedAt: number }>;
  sdkJoin(room: string): Promise<string>;
  /** SDK: resolves once the link to `peerId` is direct (a link may start on the relay). */
  sdkWaitOpen(peerId: string, timeoutMs: number): Promise<void>;
  /**
   * SDK: makes the Blob of `total` bytes that {@link sdkSend} sends next, and resolves once
   * the browser holds all of it (its bytes reach the browser process after `new Blob()`
   * returns): what a transfer is measured on is made before its clock and CPU readings start.
   */
  sdkFile(total: number): Promise<void>;
  /** SDK: `peer.sendFile` of the Blob from {@link sdkFile}; resolves once verified. */
  sdkSend(peerId: string, timeoutMs: number): Promise<{ startedAt: number; finishedAt: number }>;
  /** SDK: accepts the next file into a WritableStream that keeps nothing. */
  sdkReceive(timeoutMs: number): Promise<{ finishedAt: number }>;
  /** PeerJS: a Peer with id `id` on the PeerServer at 127.0.0.1:`port` (no ICE servers). */
  peerjsOpen(port: number, id: string, timeoutMs: number): Promise<void>;
  peerjsConnect(remoteId: string, timeoutMs: number): Promise<void>;
  /** PeerJS: sends `total` bytes as `chunkBytes` ArrayBuffers (binary serialization), with back-pressure. */
  peerjsSend(total: number, chunkBytes: number, timeoutMs: number): Promise<{ startedAt: number }>;
  peerjsReceive(total: number, timeoutMs: number): Promise<{ finishedAt: number }>;
  /**
   * Main-thread tasks of 50 ms or more since the last call (Chromium's `longtask` entries;
   * none where the browser does not report them): how many, and the longest.
   */
  longTasks(): { count: number; longestMs: number };
  close(): Promise<void>;
}
