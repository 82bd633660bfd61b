/**
 * What the bed's baseline page (`simple-peer-page.ts`) exposes as `window.simplePeerNetbed`:
 * raw simple-peer on the Peerlane signaling protocol, with the same ICE servers the SDK
 * gets, and nothing else — no relay, no reconnect. `npm run bench connectivity` only.
 */
import type { Arrival } from './netbed-api.js';

export interface SimplePeerPageApi {
  /**
   * Joins `room` on the page's own server and connects with simple-peer to every peer (the
   * newcomer initiates), with `iceServers` or else the server's welcome list; sends
   * `greeting` as soon as a connection opens.
   */
  join(
    room: string,
    iceServers: RTCIceServer[] | null,
    greeting: string,
  ): Promise<{ selfId: string; startedAt: number }>;
  nextMessage(timeoutMs: number): Promise<Arrival>;
  /** The id of the first peer whose connection opened. */
  firstConnected(timeoutMs: number): Promise<string>;
  /** Sends `byteLength` bytes in 16 KiB chunks with simple-peer's back-pressure; returns at once. */
  startBytes(peerId: string, byteLength: number): void;
  /** Bytes received so far. */
  receivedBytes(): number;
  /**
   * Waits until `byteLength` bytes arrived: first byte, last byte, and the longest gap
   * between arrivals that ends after `since` (or is still open when the wait ends).
   */
  bytesDone(
    byteLength: number,
    since: number,
    timeoutMs: number,
  ): Promise<{ firstByteAt: number; doneAt: number | null; longestStallMs: number }>;
  /** Selected candidate pair of the connection to `peerId`: local type and protocol. */
  pairType(peerId: string): Promise<string>;
  now(): number;
}

declare global {
  interface Window {
    /** Set by the baseline page once it can be driven. */
    simplePeerNetbed?: SimplePeerPageApi;
  }
}
