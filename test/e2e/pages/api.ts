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

/** Page kind → its API; `openPage(kind)` returns a handle typed by this. */
export interface PageApis {
  raw: RawPageApi;
}

/** A page kind: the harness serves `/<kind>.html`, which loads `pages/<kind>-page.ts`. */
export type PageKind = keyof PageApis;

declare global {
  interface Window {
    /** Set by a test page once it is ready to be driven. */
    peerlaneTest?: PageApis[PageKind];
  }
}
