/**
 * Lanes over the server's WebSocket relay, for peers that cannot (or must not) connect
 * directly. Each remote peer gets the same two lanes a direct link has — messages and bulk
 * (file chunks) — multiplexed on the signaling socket with a tag byte (`relay-wire.ts`).
 *
 * Flow control is the server's, end to end: this side may send a peer `window` bytes, then
 * only what that peer has granted since (`relay-credit`). A receiver grants what it has
 * read, in batches (at least a quarter window, at most one grant per {@link GRANT_GAP_MS}
 * per peer: grants are text frames and count against the server's frame rate). Frames
 * wait in a queue per lane while there is no credit; the message lane goes first, so chat
 * never waits behind a file.
 */
import type { PeerId } from '../signaling/protocol.js';
import { RELAY_HEADER_BYTES } from '../signaling/protocol.js';
import { Emitter } from './emitter.js';
import { PeerlaneError } from './errors.js';
import { LANE_LOW_WATER_MARK, type Lane, type LaneEvents } from './lane.js';
import {
  MORE_PIECES,
  RELAY_CREDIT_REF,
  RELAY_LANE,
  type RelayLaneTag,
  relayFrameHeader,
} from './relay-wire.js';
import type { SignalingClient } from './signaling-client.js';

/** The relay's terms for this peer, from `welcome.relay`. */
export interface RelayTerms {
  window: number;
  maxChunk: number;
}

/** At most one grant per peer per this many ms (unless half the window is waiting). */
const GRANT_GAP_MS = 25;
/** How often to look at the socket's buffer while a lane waits to drain. */
const DRAIN_POLL_MS = 5;
/** Bytes in the socket's buffer above which no more relay frames are handed to it. */
const SOCKET_HIGH_WATER_MARK = 1024 * 1024;

/**
 * The relay of one room: the terms from the welcome, and a {@link RelayPeer} per remote
 * peer that has used it. Routes relay data and credit from the signaling client.
 */
export class RelayHub {
  #terms: RelayTerms | undefined;
  #disabled = false;
  readonly #peers = new Map<PeerId, RelayPeer>();
  #poll: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly client: SignalingClient) {
    client.on('relay-data', (from, payload) => this.#peers.get(from)?.receive(payload));
    client.on('relay-credit', (from, bytes) => this.#peers.get(from)?.credit(bytes));
    client.on('relay-refused', (ref, code) => {
      // A grant the server dropped (frame rate): grant those bytes again, later.
      const [to, bytes] = ref.slice(RELAY_CREDIT_REF.length).split(':');
      if (code === 'RATE_LIMITED' && to) this.#peers.get(to)?.regrant(Number(bytes));
    });
    client.on('error', (error) => {
      if (error.code === 'RELAY_DISABLED') this.#disabled = true;
    });
    client.on('state', (state) => {
      if (state === 'connected') this.pump();
    });
  }

  /** True when the server relays for this peer (its welcome had terms, and it never refused). */
  get available(): boolean {
    return this.#terms !== undefined && !this.#disabled;
  }

  /** Takes the relay terms of a (new) welcome. */
  setTerms(terms: RelayTerms | undefined): void {
    this.#terms = terms;
    if (terms) this.#disabled = false;
  }

  /** The relay lanes to `id`, made on first use; undefined while the relay is unavailable. */
  peer(id: PeerId): RelayPeer | undefined {
    const terms = this.#terms;
    if (!terms || this.#disabled) return undefined;
    let peer = this.#peers.get(id);
    if (!peer) {
      peer = new RelayPeer(id, terms, this.client, () => this.#startPoll());
      this.#peers.set(id, peer);
    }
    return peer;
  }

  /** The peer left: its lanes close and its credit is forgotten (the server's goes too). */
  forget(id: PeerId): void {
    this.#peers.get(id)?.close();
    this.#peers.delete(id);
  }

  /** Sends what every peer's credit and the socket allow. */
  pump(): void {
    for (const peer of this.#peers.values()) peer.pump();
  }

  close(): void {
    clearInterval(this.#poll);
    for (const peer of this.#peers.values()) peer.close();
    this.#peers.clear();
  }

  /** Polls the socket's buffer while some lane waits for it (WebSockets have no drain event). */
  #startPoll(): void {
    if (this.#poll) return;
    this.#poll = setInterval(() => {
      let waiting = false;
      for (const peer of this.#peers.values()) waiting = peer.poll() || waiting;
      if (!waiting) {
        clearInterval(this.#poll);
        this.#poll = undefined;
      }
    }, DRAIN_POLL_MS);
  }
}

/** The two relay lanes to one remote peer and the credit between them. */
export class RelayPeer {
  readonly message: RelayLane;
  readonly bulk: RelayLane;
  /** Bytes this side may still send the peer. */
  #credit: number;
  /** Bytes read from the peer and not yet granted back. */
  #consumed = 0;
  #lastGrant = 0;
  #grantTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bytes of a lane's frame that one relay frame carries (after the tag byte). */
  readonly pieceBytes: number;
  readonly #header: Uint8Array;
  #closed = false;

  constructor(
    readonly id: PeerId,
    private readonly terms: RelayTerms,
    private readonly client: SignalingClient,
    /** Polls the socket's buffer until no lane waits for it (WebSockets have no drain event). */
    readonly startPoll: () => void,
  ) {
    this.#credit = terms.window;
    // One tag byte per piece; a piece must fit in a quarter window, or credit could stall.
    this.pieceBytes = Math.min(terms.maxChunk, Math.floor(terms.window / 4)) - 1;
    this.#header = relayFrameHeader(id);
    this.message = new RelayLane(this, RELAY_LANE.MESSAGE);
    this.bulk = new RelayLane(this, RELAY_LANE.BULK);
  }

  /** Bytes the socket holds (shared by every peer). */
  get socketBuffered(): number {
    return this.client.bufferedAmount;
  }

  /**
   * Cuts a lane's frame into relay frames to this peer, ready for the socket: each is the
   * header, a tag byte and one piece (one copy of the bytes, made here).
   */
  pieces(tag: RelayLaneTag, frame: Uint8Array): Uint8Array<ArrayBuffer>[] {
    const size = this.pieceBytes;
    const out: Uint8Array<ArrayBuffer>[] = [];
    for (let at = 0; ; at += size) {
      const end = Math.min(at + size, frame.byteLength);
      const piece = new Uint8Array(RELAY_HEADER_BYTES + 1 + end - at);
      piece.set(this.#header);
      piece[RELAY_HEADER_BYTES] = tag | (end < frame.byteLength ? MORE_PIECES : 0);
      piece.set(frame.subarray(at, end), RELAY_HEADER_BYTES + 1);
      out.push(piece);
      if (end === frame.byteLength) return out;
    }
  }

  /** Sends queued pieces, message lane first, while credit and the socket allow. */
  pump(): void {
    if (this.#closed) return;
    for (;;) {
      const lane = this.message.queued > 0 ? this.message : this.bulk;
      const piece = lane.peek();
      // Credit counts the payload: the tag byte and the piece.
      const cost = (piece?.byteLength ?? 0) - RELAY_HEADER_BYTES;
      if (!piece || cost > this.#credit) break;
      if (this.client.bufferedAmount >= SOCKET_HIGH_WATER_MARK) {
        this.startPoll();
        break;
      }
      if (!this.client.sendRelay(piece)) break;
      this.#credit -= cost;
      lane.shift();
    }
    this.message.checkDrain();
    this.bulk.checkDrain();
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

  /** One relay payload from the peer. */
  receive(payload: Uint8Array): void {
    if (this.#closed) return;
    this.#consumed += payload.byteLength;
    this.#maybeGrant();
    const tag = payload[0] ?? 0;
    const lane = (tag & ~MORE_PIECES) === RELAY_LANE.BULK ? this.bulk : this.message;
    lane.piece(payload.subarray(1), (tag & MORE_PIECES) !== 0);
  }

  /** A grant of `bytes` the server refused: give them back to the next grant. */
  regrant(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes <= 0) return;
    this.#consumed += bytes;
    this.#lastGrant = Date.now();
    this.#maybeGrant();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#grantTimer);
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
    this.client.send({
      type: 'relay-credit',
      to: this.id,
      bytes,
      ref: `${RELAY_CREDIT_REF}${this.id}:${bytes}`,
    });
  }
}

/** A {@link Lane} to one peer over the relay: frames are cut into pieces and queued for credit. */
export class RelayLane extends Emitter<LaneEvents> implements Lane {
  #queue: Uint8Array<ArrayBuffer>[] = [];
  #head = 0;
  #queued = 0;
  #parts: Uint8Array[] = [];
  #awaitingDrain = false;
  #closed = false;

  constructor(
    private readonly peer: RelayPeer,
    private readonly tag: RelayLaneTag,
  ) {
    super();
  }

  /** Open from the start, until the peer leaves (frames wait while the socket is down). */
  get open(): boolean {
    return !this.#closed;
  }

  /** Bytes queued for credit, plus what the socket holds. */
  get bufferedAmount(): number {
    return this.#closed ? 0 : this.#queued + this.peer.socketBuffered;
  }

  /** Frames up to this size go in one relay frame. */
  get maxFrameBytes(): number {
    return this.peer.pieceBytes;
  }

  /** Bytes queued for credit. */
  get queued(): number {
    return this.#queued;
  }

  /** True while a sender waits for `drain`. */
  get waiting(): boolean {
    return this.#awaitingDrain;
  }

  send(frame: Uint8Array): void {
    if (this.#closed)
      throw new PeerlaneError('PEER_LEFT', `relay to peer ${this.peer.id} is closed`);
    for (const piece of this.peer.pieces(this.tag, frame)) {
      this.#queue.push(piece);
      this.#queued += piece.byteLength;
    }
    this.peer.pump();
  }

  awaitDrain(): void {
    if (this.#closed) return;
    this.#awaitingDrain = true;
    this.checkDrain();
    // What waits may be in the socket's buffer alone, which credit coming in does not
    // empty: only looking at it again tells when it has (a browser updates it late).
    if (this.#awaitingDrain) this.peer.startPoll();
  }

  /**
   * Emits `drain`, soon, if a sender waits and the buffer is down to the low-water mark.
   * Never from here: this runs inside `send()`, and a sender that feeds the lane from
   * `drain` would be re-entered in the middle of its own send.
   */
  checkDrain(): void {
    if (!this.#awaitingDrain || this.bufferedAmount > LANE_LOW_WATER_MARK) return;
    this.#awaitingDrain = false;
    queueMicrotask(() => {
      if (!this.#closed) this.emit('drain');
    });
  }

  /** @internal The next relay frame to send. */
  peek(): Uint8Array<ArrayBuffer> | undefined {
    return this.#queue[this.#head];
  }

  /** @internal The piece from {@link peek} was sent. */
  shift(): void {
    const piece = this.#queue[this.#head];
    if (!piece) return;
    this.#queued -= piece.byteLength;
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** @internal One received piece; the frame is emitted with its last piece. */
  piece(bytes: Uint8Array, more: boolean): void {
    if (more || this.#parts.length > 0) {
      this.#parts.push(bytes.slice());
      if (more) return;
      const size = this.#parts.reduce((sum, part) => sum + part.byteLength, 0);
      const frame = new Uint8Array(size);
      let at = 0;
      for (const part of this.#parts) {
        frame.set(part, at);
        at += part.byteLength;
      }
      this.#parts = [];
      this.emit('frame', frame);
      return;
    }
    this.emit('frame', bytes);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    this.#queued = 0;
    this.#parts = [];
    this.#awaitingDrain = false;
    this.emit('close');
  }
}
