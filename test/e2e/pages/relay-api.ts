/** What the relay page (`relay-page.ts`) exposes as `window.peerlaneTest`. */
import type { BytesSummary } from './api.js';

export interface RelayPageApi {
  /**
   * Joins `room` with these SDK options (`transport`, `iceTransportPolicy`,
   * `relayFallbackMs`, `iceServers`…); `startedAt` is taken just before `joinRoom`.
   */
  join(
    room: string,
    options: Record<string, unknown>,
  ): Promise<{ selfId: string; startedAt: number }>;
  /** `peer.transport` and `peer.state` of `peerId` now. */
  peer(peerId: string): { transport: string | null; state: string };
  /** Waits until `peerId` is carried by `transport`. */
  waitForTransport(peerId: string, transport: string, timeoutMs?: number): Promise<void>;
  /** RTCPeerConnections the SDK made (the page passes it counting WebRTC classes). */
  peerConnections(): number;
  /** Every `transport-change` seen, in order. */
  transportChanges(): string[];
  send(peerId: string, text: string): void;
  /** The oldest unread text message, and when it arrived (page clock, ms). */
  nextMessage(timeoutMs?: number): Promise<{ from: string; text: string; at: number }>;
  /** Sends `byteLength` pattern bytes as a file; resolves once the receiver verified it. */
  sendFile(peerId: string, byteLength: number, seed: number): Promise<BytesSummary>;
  /** Accepts the next incoming file and resolves with its hash once received. */
  receiveFile(timeoutMs?: number): Promise<BytesSummary>;
}
