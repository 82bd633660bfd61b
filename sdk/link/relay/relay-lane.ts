/** One lane of a {@link RelayRoute}: its frames cut into pieces, queued for credit. */

import { RELAY_HEADER_BYTES } from '../../../signaling/protocol.js';
import { Emitter } from '../../emitter.js';
import { PeerlaneError } from '../../errors.js';
import { WATER_MARKS } from '../flow.js';
import { MAX_FRAME_BYTES } from '../framing.js';
import type { Lane, LaneEvents } from '../lane.js';
import { MORE_PIECES, type RelayLaneTag } from './relay-wire.js';

/**
 * The largest frame put back together from pieces: a lane's frames are at most
 * `MAX_FRAME_BYTES`, a sealed one (`e2ee`) a few bytes more; this leaves room. A frame
 * that goes on past it (a peer or server that misbehaves) is dropped, not kept growing.
 */
const MAX_LANE_REASSEMBLY = 2 * MAX_FRAME_BYTES;

/** What a {@link RelayLane} needs of its route (`relay-route.ts`). */
export interface LaneOwner {
  /** The remote peer. */
  readonly id: string;
  /** Bytes of a lane's frame that one relay frame carries. */
  readonly pieceBytes: number;
  /** Bytes the signaling socket holds. */
  readonly socketBuffered: number;
  /** Cuts a frame into relay frames, ready for the socket. */
  pieces(tag: RelayLaneTag, frame: Uint8Array): Uint8Array<ArrayBuffer>[];
  /** Sends queued pieces while credit and the socket allow. */
  pump(): void;
  /** Polls the socket's buffer until no lane waits for it. */
  startPoll(): void;
}

/** A {@link Lane} to one peer over the relay: frames are cut into pieces and queued for credit. */
export class RelayLane extends Emitter<LaneEvents> implements Lane {
  #queue: Uint8Array<ArrayBuffer>[] = [];
  #head = 0;
  #queued = 0;
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  /** The frame being put together passed {@link MAX_LANE_REASSEMBLY}: its pieces are dropped. */
  #overflow = false;
  /** Set by {@link lendFrames}: frames put together from pieces are written into `#assembly`. */
  #lending = false;
  #assembly: Uint8Array | undefined;
  #awaitingDrain = false;
  /** The last piece sent was not its frame's last: the next queued piece goes on that frame. */
  #midFrame = false;
  #closed = false;
  /** Set by the link while a call runs over the relay (`callFilePace`). */
  pace: number | undefined;

  constructor(
    private readonly route: LaneOwner,
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
    return this.#closed ? 0 : this.#queued + this.route.socketBuffered;
  }

  /** Frames up to this size go in one relay frame. */
  get maxFrameBytes(): number {
    return this.route.pieceBytes;
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
      throw new PeerlaneError('PEER_LEFT', `relay to peer ${this.route.id} is closed`);
    for (const piece of this.route.pieces(this.tag, frame)) {
      this.#queue.push(piece);
      this.#queued += piece.byteLength;
    }
    this.route.pump();
  }

  awaitDrain(): void {
    if (this.#closed) return;
    this.#awaitingDrain = true;
    this.checkDrain();
    // What waits may be in the socket's buffer alone, which credit coming in does not
    // empty: only looking at it again tells when it has (a browser updates it late).
    if (this.#awaitingDrain) this.route.startPoll();
  }

  /**
   * Emits `drain`, soon, if a sender waits and the buffer is down to the low-water mark.
   * Never from here: this runs inside `send()`, and a sender that feeds the lane from
   * `drain` would be re-entered in the middle of its own send.
   */
  checkDrain(): void {
    if (!this.#awaitingDrain || this.bufferedAmount > WATER_MARKS.laneLow) return;
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
    this.#midFrame = ((piece[RELAY_HEADER_BYTES] ?? 0) & MORE_PIECES) !== 0;
    this.#queued -= piece.byteLength;
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * The relay lost what was in flight (`RelayRoute.restart`): a frame whose first pieces
   * arrived and whose last did not is dropped, and so are the queued pieces that would
   * finish a frame sent in part (the peer would put them together with the next frame's
   * start). Whole frames still queued go on as they are.
   */
  restart(): void {
    this.#parts = [];
    this.#partBytes = 0;
    this.#overflow = false;
    while (this.#midFrame) {
      const piece = this.peek();
      if (!piece) {
        // The rest of that frame was never queued: what comes next starts a frame.
        this.#midFrame = false;
        break;
      }
      this.shift();
    }
    this.checkDrain();
  }

  /** See {@link Lane.lendFrames}: one buffer puts every frame together (a new one each cost an allocation). */
  lendFrames(): void {
    this.#lending = true;
  }

  /** @internal One received piece; the frame is emitted with its last piece. */
  piece(bytes: Uint8Array, more: boolean): void {
    if (more || this.#parts.length > 0 || this.#overflow) {
      if (!this.#overflow) {
        this.#partBytes += bytes.byteLength;
        if (this.#partBytes > MAX_LANE_REASSEMBLY) {
          this.#overflow = true;
          this.#parts = [];
        } else {
          // A view, not a copy: each relay payload has a buffer of its own (one WebSocket
          // message), which nothing changes; the frame is copied once, whole, below.
          this.#parts.push(bytes);
        }
      }
      if (more) return;
      const size = this.#partBytes;
      this.#partBytes = 0;
      if (this.#overflow) {
        this.#overflow = false; // no lane carries such a frame: dropped
        return;
      }
      const frame = this.#lending ? this.#assemble(size) : new Uint8Array(size);
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

  /** The first `size` bytes of the lent assembly buffer, grown if need be. */
  #assemble(size: number): Uint8Array {
    if (!this.#assembly || this.#assembly.byteLength < size) this.#assembly = new Uint8Array(size);
    return this.#assembly.subarray(0, size);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    this.#queued = 0;
    this.#parts = [];
    this.#partBytes = 0;
    this.#overflow = false;
    this.#assembly = undefined;
    this.#awaitingDrain = false;
    this.emit('close');
  }
}
