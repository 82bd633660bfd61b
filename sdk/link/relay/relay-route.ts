/**
 * The relay route to one remote peer: the same two lanes a direct route has — messages and
 * bulk (file chunks) — multiplexed on the signaling socket with a tag byte (`relay-wire.ts`).
 *
 * Flow control is the server's, end to end: this side may send a peer `window` bytes, then
 * only what that peer has granted since (`relay-credit`). A receiver grants what it has
 * read, in batches (at least a quarter window, at most one grant per {@link GRANT_GAP_MS}
 * per peer: grants are text frames and count against the server's frame rate). Frames
 * wait in a queue per lane while there is no credit; the message lane goes first, so chat
 * never waits behind a file.
 */
import type { PeerId } from '../../../signaling/protocol.js';
import { RELAY_HEADER_BYTES } from '../../../signaling/protocol.js';
import { MEDIA_CREDIT_RESERVE, WATER_MARKS } from '../flow.js';
import type { Route } from '../lane.js';
import { RelayLane } from './relay-lane.js';
import type { RelaySocket } from './relay-socket.js';
import {
  MORE_PIECES,
  RELAY_CREDIT_REF,
  RELAY_LANE,
  type RelayLaneTag,
  relayFrameHeader,
  relaySyncFrame,
} from './relay-wire.js';

/** The relay's terms for this peer, from `welcome.relay`. */
export interface RelayTerms {
  window: number;
  maxChunk: number;
  /** Whether the server relays audio and video. */
  media: boolean;
}

/** Relay media (audio and video) as the route carries it, to the peer and from it. */
export interface MediaEnd {
  /** One whole media frame from the peer (`media-wire.ts` reads it). */
  frame(bytes: Uint8Array): void;
  /** The peer sent media the route could not put back together (too large). */
  invalid(reason: string): void;
}

/**
 * What relayed media (`media/relay/relay-media.ts`) needs of its route: a {@link RelayRoute},
 * or the same sealed end to end (`e2ee/sealed-media.ts`).
 */
export interface MediaRoute {
  /** Where media from the peer goes; undefined: it is dropped (no one plays it). */
  media: MediaEnd | undefined;
  /** Whether the server relays audio and video (the welcome's `relay.media`). */
  readonly mediaAllowed: boolean;
  /** What media may spend now: credit, window and the socket (see `media/relay/pacing.ts`). */
  readonly mediaRoom: { credit: number; window: number; socketBuffered: number; open: boolean };
  /** Bytes of a media frame one relay frame carries (a frame costs a tag byte per piece). */
  readonly pieceBytes: number;
  /**
   * Sends one media frame now, never queued. False: it was not sent. `kind` says whether
   * it is audio or video, or a control frame (the state each side sends every second, a key
   * request, a delay report), which does not make media flow.
   */
  sendMedia(frame: Uint8Array, kind: RelayMediaKind): boolean;
  /** A media frame did not go for want of credit (see {@link RelayRoute.wantCredit}). */
  wantCredit(): void;
}

/** What a relayed media frame carries: audio, video, or control (which is not a call). */
export type RelayMediaKind = 'audio' | 'video' | 'control';

/**
 * Media is "flowing" for this long after its last audio or video frame: files keep credit
 * and socket room back meanwhile. Control frames do not count — every relay link sends its
 * media state each second, call or not.
 */
const MEDIA_ACTIVE_MS = 1000;
/**
 * Sent relay frames kept to be written over while a lane has frames queued: as many as
 * both lanes queue at their high-water marks, so a stream of frames reuses every one.
 */
const BUSY_SPARE_BYTES = WATER_MARKS.message + WATER_MARKS.bulk;
/** Sent relay frames kept once no lane has anything queued: a default credit window's (8 × 64 KiB). */
const IDLE_SPARE_PIECES = 8;
/** The largest media frame put back together from pieces (`MAX_MEDIA_FRAME_BYTES`, with room). */
const MAX_MEDIA_REASSEMBLY = 320 * 1024;

/** At most one grant per peer per this many ms (unless half the window is waiting). */
const GRANT_GAP_MS = 25;
/**
 * Sending has waited this long for credit and none came: ask the server how much there is
 * (a credit sync), and again as long as it lasts. Grants come every few ms while a peer
 * reads; a second without one means the peer reads nothing, or grants were lost.
 */
export const SYNC_AFTER_MS = 1000;

/** The two relay lanes to one remote peer and the credit between them. */
export class RelayRoute implements Route, MediaRoute {
  readonly message: RelayLane;
  readonly bulk: RelayLane;
  /** Bytes this side may still send the peer. */
  #credit: number;
  /** Bytes read from the peer and not yet granted back. */
  #consumed = 0;
  #lastGrant = 0;
  #grantTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Since when sending has waited for credit, nothing having gone since (undefined: it has
   * not). Grants that let nothing go do not end the wait: the peer's small frames (acks,
   * media state) may be granted while a file's credit is lost.
   */
  #wantedSince: number | undefined;
  /** Asks for a credit sync when the wait has lasted {@link SYNC_AFTER_MS}. */
  #syncTimer: ReturnType<typeof setTimeout> | undefined;
  /** The number of the last credit sync asked for; nothing is sent until it is answered. */
  #syncing: number | undefined;
  #syncs = 0;
  /** Bytes of a lane's frame that one relay frame carries (after the tag byte). */
  readonly pieceBytes: number;
  readonly #header: Uint8Array;
  /** The length of a relay frame carrying a full piece. */
  readonly #fullPiece: number;
  /** Full relay frames already sent, to be written over (`#sent`). */
  readonly #spare: Uint8Array<ArrayBuffer>[] = [];
  /** The most frames {@link #spare} keeps while a lane has frames queued. */
  readonly #busySpares: number;
  #closed = false;
  /** The peer is not on the server (presence lost it): nothing is sent until it is back. */
  #held = false;
  /** Where media from the peer goes; undefined: it is dropped (no one plays it). */
  media: MediaEnd | undefined;
  #mediaParts: Uint8Array[] = [];
  #mediaPartBytes = 0;
  #mediaOverflow = false;
  /** When this side last sent a media frame. */
  #mediaSentAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly id: PeerId,
    private readonly terms: RelayTerms,
    private readonly socket: RelaySocket,
    /** Polls the socket's buffer until no lane waits for it (WebSockets have no drain event). */
    readonly startPoll: () => void,
  ) {
    this.#credit = terms.window;
    // One tag byte per piece; a piece must fit in a quarter window, or credit could stall.
    this.pieceBytes = Math.min(terms.maxChunk, Math.floor(terms.window / 4)) - 1;
    this.#header = relayFrameHeader(id);
    this.#fullPiece = RELAY_HEADER_BYTES + 1 + this.pieceBytes;
    this.#busySpares = Math.max(IDLE_SPARE_PIECES, Math.ceil(BUSY_SPARE_BYTES / this.#fullPiece));
    this.message = new RelayLane(this, RELAY_LANE.MESSAGE);
    this.bulk = new RelayLane(this, RELAY_LANE.BULK);
  }

  /** Whether the server relays audio and video (the welcome's `relay.media`). */
  get mediaAllowed(): boolean {
    return this.terms.media;
  }

  /** What media may spend now: credit, window and the socket (see `media/relay/pacing.ts`). */
  get mediaRoom(): { credit: number; window: number; socketBuffered: number; open: boolean } {
    return {
      credit: this.#closed || this.#syncing !== undefined ? 0 : this.#credit,
      window: this.terms.window,
      socketBuffered: this.socket.bufferedAmount,
      // Held: its peer is not on the server, and nothing goes to it (see `hold`).
      open: !this.#closed && !this.#held && this.socket.canRelay,
    };
  }

  /**
   * Sends one media frame now, ahead of anything queued: the caller checked that credit
   * and the socket allow it (`mayMediaGo`); media is never queued. False: it was not sent.
   */
  sendMedia(frame: Uint8Array, kind: RelayMediaKind): boolean {
    if (this.#closed || this.#held || this.#syncing !== undefined) return false;
    const pieces = this.pieces(RELAY_LANE.MEDIA, frame);
    const cost = pieces.reduce((sum, piece) => sum + piece.byteLength - RELAY_HEADER_BYTES, 0);
    if (cost > this.#credit) {
      this.wantCredit();
      return false;
    }
    for (const piece of pieces) {
      // Only the first can fail (the socket is down); then nothing was sent.
      if (!this.socket.sendRelay(piece)) return false;
      this.#credit -= piece.byteLength - RELAY_HEADER_BYTES;
      this.#sent(piece);
    }
    if (kind !== 'control') {
      this.#mediaSentAt = Date.now();
      this.#wantedSince = undefined;
    }
    return true;
  }

  /** Bytes the socket holds (shared by every peer). */
  get socketBuffered(): number {
    return this.socket.bufferedAmount;
  }

  /**
   * Cuts a lane's frame into relay frames to this peer, ready for the socket: each is the
   * header, a tag byte and one piece (one copy of the bytes, made here). Full pieces are
   * written into relay frames already sent where there are some (see {@link #sent}).
   */
  pieces(tag: RelayLaneTag, frame: Uint8Array): Uint8Array<ArrayBuffer>[] {
    const size = this.pieceBytes;
    const out: Uint8Array<ArrayBuffer>[] = [];
    for (let at = 0; ; at += size) {
      const end = Math.min(at + size, frame.byteLength);
      const length = RELAY_HEADER_BYTES + 1 + end - at;
      const piece = (length === this.#fullPiece && this.#spare.pop()) || new Uint8Array(length);
      piece.set(this.#header);
      piece[RELAY_HEADER_BYTES] = tag | (end < frame.byteLength ? MORE_PIECES : 0);
      piece.set(frame.subarray(at, end), RELAY_HEADER_BYTES + 1);
      out.push(piece);
      if (end === frame.byteLength) return out;
    }
  }

  /**
   * Sends queued pieces while credit and the socket allow: the message lane first, then
   * the bulk lane. Media is never queued (`sendMedia` sends at once), so it goes before
   * both; while it flows, file pieces leave it room: they keep
   * 2 × {@link MEDIA_CREDIT_RESERVE} of the window back and stop at
   * `WATER_MARKS.bulkWithMedia` in the socket (retried by the poll).
   */
  pump(): void {
    if (this.#closed || this.#held || this.#syncing !== undefined) return;
    const mediaFlows = Date.now() - this.#mediaSentAt < MEDIA_ACTIVE_MS;
    for (;;) {
      const lane = this.message.queued > 0 ? this.message : this.bulk;
      const piece = lane.peek();
      // Credit counts the payload: the tag byte and the piece.
      const cost = (piece?.byteLength ?? 0) - RELAY_HEADER_BYTES;
      const held = mediaFlows && lane === this.bulk;
      const reserve = held ? 2 * MEDIA_CREDIT_RESERVE * this.terms.window : 0;
      if (!piece) break;
      if (cost + reserve > this.#credit) {
        this.wantCredit();
        break;
      }
      const mark = held ? WATER_MARKS.bulkWithMedia : WATER_MARKS.socket;
      if (this.socket.bufferedAmount >= mark) {
        this.startPoll();
        break;
      }
      if (!this.socket.sendRelay(piece)) break;
      this.#credit -= cost;
      this.#wantedSince = undefined;
      lane.shift();
      this.#sent(piece);
    }
    if (
      this.message.queued === 0 &&
      this.bulk.queued === 0 &&
      this.#spare.length > IDLE_SPARE_PIECES
    ) {
      this.#spare.length = IDLE_SPARE_PIECES; // idle: the rest goes back to the heap
    }
    this.message.checkDrain();
    this.bulk.checkDrain();
  }

  /**
   * A relay frame went to the socket, which copied it (a browser's WebSocket, and `ws`
   * when it masks a client's frame): a full one is kept to be written over. A new buffer
   * per piece cost here 28× the time of reusing one (new memory is zeroed and mapped in).
   * While frames are queued, as many are kept as the lanes queue: kept to a credit
   * window's worth, a file's stream made a new buffer for most of its pieces (the sender
   * refills the bulk lane from 512 KiB to 2 MiB at a time).
   */
  #sent(piece: Uint8Array<ArrayBuffer>): void {
    if (piece.byteLength === this.#fullPiece && this.#spare.length < this.#busySpares) {
      this.#spare.push(piece);
    }
  }

  /** Called by the poll: pump, and say whether a lane still waits for the socket. */
  poll(): boolean {
    this.pump();
    return this.message.waiting || this.bulk.waiting;
  }

  /** The peer granted more credit. */
  credit(bytes: number): void {
    this.#credit += bytes;
    this.pump();
  }

  /**
   * Something waits for credit. If none comes for {@link SYNC_AFTER_MS}, the route asks the
   * server for the credit it has (`RELAY_SYNC`): grants can be lost on the way — to a node
   * the peer just left, when one of the two moved to another node of a cluster — and a
   * route that waited for them would wait for good.
   */
  wantCredit(): void {
    this.#wantedSince ??= Date.now();
    this.#syncTimer ??= setTimeout(() => this.#sync(), SYNC_AFTER_MS);
  }

  /** The server's answer to credit sync number `n`: its count replaces this side's. */
  synced(credit: number, n: number): void {
    if (n !== this.#syncing || this.#closed) return;
    this.#syncing = undefined;
    this.#wantedSince = undefined;
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    this.#credit = credit;
    this.pump();
  }

  #sync(): void {
    this.#syncTimer = undefined;
    const since = this.#wantedSince;
    if (this.#closed || since === undefined) return;
    const waited = Date.now() - since;
    if (this.#held || !this.socket.canRelay || waited < SYNC_AFTER_MS) {
      this.#syncTimer = setTimeout(() => this.#sync(), Math.max(SYNC_AFTER_MS - waited, 1));
      return;
    }
    // Nothing is sent until the answer comes, so that it counts everything sent before;
    // an answer that does not come (the session ended) is asked for again.
    this.#syncs = (this.#syncs + 1) >>> 0;
    if (this.socket.sendRelay(relaySyncFrame(this.id, this.#syncs))) this.#syncing = this.#syncs;
    this.#syncTimer = setTimeout(() => this.#sync(), SYNC_AFTER_MS);
  }

  /** One relay payload from the peer. */
  receive(payload: Uint8Array): void {
    if (this.#closed) return;
    this.#consumed += payload.byteLength;
    this.#maybeGrant();
    const tag = payload[0] ?? 0;
    const more = (tag & MORE_PIECES) !== 0;
    // A piece of no lane of ours (a later version's, or none) is dropped, its credit granted
    // back above: put into the message lane, it would join a frame in the middle of its pieces.
    switch (tag & ~MORE_PIECES) {
      case RELAY_LANE.MEDIA:
        this.#mediaPiece(payload.subarray(1), more);
        return;
      case RELAY_LANE.MESSAGE:
        this.message.piece(payload.subarray(1), more);
        return;
      case RELAY_LANE.BULK:
        this.bulk.piece(payload.subarray(1), more);
        return;
    }
  }

  /** A piece of a media frame: whole frames go to {@link media}, at most a bounded size. */
  #mediaPiece(bytes: Uint8Array, more: boolean): void {
    if (!more && this.#mediaParts.length === 0 && !this.#mediaOverflow) {
      this.media?.frame(bytes);
      return;
    }
    if (!this.#mediaOverflow) {
      this.#mediaPartBytes += bytes.byteLength;
      if (this.#mediaPartBytes > MAX_MEDIA_REASSEMBLY) {
        this.#mediaOverflow = true;
        this.#mediaParts = [];
      } else this.#mediaParts.push(bytes.slice());
    }
    if (more) return;
    const parts = this.#mediaParts;
    const size = this.#mediaPartBytes;
    this.#mediaParts = [];
    this.#mediaPartBytes = 0;
    if (this.#mediaOverflow) {
      this.#mediaOverflow = false;
      this.media?.invalid(`a media frame of ${size} bytes (limit ${MAX_MEDIA_REASSEMBLY})`);
      return;
    }
    const frame = new Uint8Array(size);
    let at = 0;
    for (const part of parts) {
      frame.set(part, at);
      at += part.byteLength;
    }
    this.media?.frame(frame);
  }

  /** A grant of `bytes` the server refused: give them back to the next grant. */
  regrant(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes <= 0) return;
    this.#consumed += bytes;
    this.#lastGrant = Date.now();
    this.#maybeGrant();
  }

  /**
   * The session resumed on a new socket: frames the server wrote to the old one and grants
   * sent on it may be lost, and the credit they stood for with them. Grants the peer a
   * whole window: the server holds credit to the window less what it has not yet written
   * to this side, so the pair gets back what was lost and the server still never holds
   * more than a window of it. (Frames the server held for us while we were away were
   * counted as written then: those, at most its pending cap, may arrive on top.)
   */
  grantWindow(): void {
    if (this.#closed) return;
    this.#consumed = this.terms.window;
    this.#grant();
  }

  /**
   * The server's relay holds nothing of this pair any more (it restarted, or forgot one of
   * the two): what was in flight either way is lost, grants included, and credit starts
   * again at the window on both sides and at the server. Partly sent or received frames
   * are dropped (see `RelayLane.restart`); what they carried is sent again by the layers
   * above (the link's hand-over for messages, the transfers' resync for files). A held
   * route stays held.
   */
  restart(): void {
    if (this.#closed) return;
    clearTimeout(this.#grantTimer);
    this.#grantTimer = undefined;
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    this.#syncing = undefined;
    this.#wantedSince = undefined;
    this.#credit = this.terms.window;
    this.#consumed = 0;
    this.#mediaParts = [];
    this.#mediaPartBytes = 0;
    this.#mediaOverflow = false;
    this.message.restart();
    this.bulk.restart();
    this.pump();
  }

  /**
   * The peer is not on the server for now (presence lost it): queue, send nothing. What
   * went to it would be refused, its credit spent here and not at the server, and when it
   * comes back afresh the pair starts again ({@link restart}) from what both have sent —
   * nothing, then. Media is not sent either (`sendMedia` says false, `mediaRoom` not open).
   */
  hold(): void {
    this.#held = true;
  }

  /** The peer is back in the same session: send what waited. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    this.pump();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#grantTimer);
    clearTimeout(this.#syncTimer);
    this.message.close();
    this.bulk.close();
  }

  #maybeGrant(): void {
    if (this.#consumed < this.terms.window / 4 && this.#grantTimer) return;
    const since = Date.now() - this.#lastGrant;
    const urgent = this.#consumed >= this.terms.window / 2;
    if ((this.#consumed >= this.terms.window / 4 && since >= GRANT_GAP_MS) || urgent) {
      this.#grant();
      return;
    }
    // Less than a quarter window, or too soon: grant the rest a little later.
    this.#grantTimer ??= setTimeout(
      () => {
        this.#grantTimer = undefined;
        this.#grant();
      },
      Math.max(GRANT_GAP_MS - since, 1),
    );
  }

  #grant(): void {
    clearTimeout(this.#grantTimer);
    this.#grantTimer = undefined;
    const bytes = this.#consumed;
    if (bytes <= 0 || this.#closed) return;
    this.#consumed = 0;
    this.#lastGrant = Date.now();
    this.socket.send({
      type: 'relay-credit',
      to: this.id,
      bytes,
      ref: `${RELAY_CREDIT_REF}${this.id}:${bytes}`,
    });
  }
}
