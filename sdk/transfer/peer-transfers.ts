/**
 * Every file transfer with one remote peer, both ways, on whatever bulk lane the link to it
 * has now. It outlives routes and links: when the link moves to another route (or the room
 * replaces the link), `attach()` hands it the new bulk lane and the transfers resume on it.
 *
 * Fairness: the scheduler takes one chunk from each sending transfer in turn while the
 * lane's buffer is below `WATER_MARKS.bulk` (`link/flow.ts`), so concurrent transfers share
 * the lane evenly; chat messages have a lane of their own and never wait behind chunks.
 *
 * Pace: while the lane has one (`Lane.pace`: a call runs on its route), chunks go no
 * faster than it, at most {@link PACE_BURST_MS} ahead, and are no larger than that much of
 * it (at least {@link PACED_CHUNK_MIN} bytes), so a file never queues a burst before the
 * call's packets.
 */

import type { FileSource, FileTransfer, RemotePeer, SendFileOptions } from '../api.js';
import { PeerlaneError } from '../errors.js';
import { WATER_MARKS } from '../link/flow.js';
import type { Lane } from '../link/lane.js';
import { IncomingTransfer } from './file-receiver.js';
import { OutgoingTransfer } from './file-sender.js';
import {
  CHUNK_HEADER_BYTES,
  type ControlFrame,
  decodeTransferFrame,
  encodeControl,
  MAX_CHUNK_BYTES,
  MAX_TRANSFER_ID,
  type TransferControl,
} from './transfer-protocol.js';

/** A paced lane is sent at most this far ahead of its pace, ms. */
export const PACE_BURST_MS = 100;
/** The smallest chunk on a paced lane, bytes. */
export const PACED_CHUNK_MIN = 16 * 1024;

/** Finished transfers remembered per direction, to answer a late frame about them. */
const REMEMBERED = 256;

/** Frames that end a transfer: never answered, so two sides cannot echo each other. */
const TERMINAL = new Set<ControlFrame['t']>(['verified', 'reject', 'cancel']);
/** Frames the sender sends (about the receiver's incoming transfers); the rest come from receivers. */
const FROM_SENDER = new Set<ControlFrame['t']>(['offer', 'end']);

export interface PeerTransfersOptions {
  peer: RemotePeer;
  /** A peer offers a file. */
  onIncoming: (incoming: IncomingTransfer) => void;
  /** The other side broke the protocol in a way no transfer owns (reported as an `error`). */
  onError: (error: PeerlaneError) => void;
}

export class PeerTransfers {
  #lane: Lane | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #outgoing = new Map<number, OutgoingTransfer>();
  readonly #incoming = new Map<number, IncomingTransfer>();
  /**
   * How finished transfers ended, keyed `out:<id>` / `in:<id>`, oldest first: the last
   * frame, whether this side sent it, and the lane generation it ended in.
   */
  readonly #finished = new Map<string, { last: ControlFrame; ours: boolean; generation: number }>();
  /** Lanes opened so far. */
  #generation = 0;
  #nextId = 1;
  #cursor = 0;
  #ended = false;
  /**
   * The lane's buffered bytes as last read plus what was sent since: an over-estimate,
   * read again only when it reaches the high-water mark (in @roamhq/wrtc each read of
   * `bufferedAmount` is a slow native call).
   */
  #buffered = 0;
  /** The lane was full: nothing is sent until its `drain`. */
  #waiting = false;
  /** On a paced lane: when what was sent so far is paid for at the pace (`performance.now()`). */
  #paidUntil = 0;
  /** On a paced lane: the pump waits for the pace. */
  #paceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: PeerTransfersOptions) {}

  /** Transfers on the lane from now on. A new lane resumes every transfer once it opens. */
  attach(lane: Lane): void {
    if (lane === this.#lane || this.#ended) return;
    this.#unsubscribe?.();
    this.#lane = lane;
    this.#buffered = 0;
    this.#waiting = false;
    clearTimeout(this.#paceTimer);
    this.#paceTimer = undefined;
    const onOpen = () => this.#sync();
    const onFrame = (frame: Uint8Array) => this.#onFrame(frame);
    const onDrain = () => {
      this.#waiting = false;
      this.#buffered = lane.bufferedAmount;
      this.#pump();
    };
    const onClose = () => this.#laneChanged(false);
    lane.on('open', onOpen).on('frame', onFrame).on('drain', onDrain).on('close', onClose);
    this.#unsubscribe = () => {
      lane.off('open', onOpen).off('frame', onFrame).off('drain', onDrain).off('close', onClose);
    };
    if (lane.open) this.#sync();
    else this.#laneChanged(false);
  }

  /**
   * Frames were lost on the lane in use (with `e2ee`, one that did not open): every
   * transfer, on both sides (a `sync` frame asks the peer), starts again from what its
   * receiver confirmed, as after a lane change.
   */
  resync(): void {
    this.#sendControl({ t: 'sync' });
    this.#sync();
  }

  /** Starts sending a file (the source is checked by the caller). */
  send(source: FileSource, options: SendFileOptions): FileTransfer {
    const id = this.#nextId;
    this.#nextId = id === MAX_TRANSFER_ID ? 1 : id + 1;
    const transfer = new OutgoingTransfer(id, source, options, {
      peer: this.options.peer,
      sendControl: (frame) => this.#sendControl(frame),
      wake: () => this.#pump(),
      chunkBytes: () => this.#chunkBytes(),
      finished: (last) => this.#finish('out', id, last),
    });
    this.#outgoing.set(id, transfer);
    return transfer.handle;
  }

  /** Fails every transfer with `code` (the peer left, or this room was left). */
  end(code: 'PEER_LEFT' | 'LEFT_ROOM'): void {
    if (this.#ended) return;
    this.#ended = true;
    const reason = code === 'PEER_LEFT' ? 'the peer left the room' : 'the room was left';
    for (const transfer of [...this.#outgoing.values()]) transfer.abort(code, reason, false);
    for (const transfer of [...this.#incoming.values()]) transfer.leave(code, reason);
    this.#unsubscribe?.();
    this.#lane = undefined;
    clearTimeout(this.#paceTimer);
  }

  /**
   * Chunks fill the lane's frames (the relay would cut a larger one in two); on a paced
   * lane they are no larger than {@link PACE_BURST_MS} of the pace.
   */
  #chunkBytes(): number {
    const lane = this.#lane;
    if (!lane) return MAX_CHUNK_BYTES;
    const frame = Math.max(1, Math.min(MAX_CHUNK_BYTES, lane.maxFrameBytes - CHUNK_HEADER_BYTES));
    if (lane.pace === undefined) return frame;
    const paced = Math.max(PACED_CHUNK_MIN, Math.floor((lane.pace * PACE_BURST_MS) / 1000));
    return Math.min(frame, paced);
  }

  /** A lane opened: every transfer picks up where the receiver says it is. */
  #sync(): void {
    const lane = this.#lane;
    if (!lane?.open) return;
    this.#generation += 1;
    // How transfers ended on the last lane (or with none) may have been lost with it.
    for (const { last, ours, generation } of this.#finished.values()) {
      if (ours && generation >= this.#generation - 1) this.#sendControl(last);
    }
    for (const transfer of this.#outgoing.values()) {
      transfer.rewind();
      const offer = transfer.offerFrame();
      if (offer) this.#sendControl(offer);
    }
    for (const transfer of this.#incoming.values()) transfer.resume();
    this.#laneChanged(true);
    this.#pump();
  }

  #laneChanged(open: boolean): void {
    for (const transfer of this.#outgoing.values()) transfer.laneChanged(open);
    for (const transfer of this.#incoming.values()) transfer.laneChanged(open);
  }

  /**
   * Sends chunks round-robin until the lane is full, its pace says wait, or no transfer
   * has one ready.
   */
  #pump(): void {
    const lane = this.#lane;
    if (!lane?.open || this.#waiting || this.#paceTimer || this.#outgoing.size === 0) return;
    const senders = [...this.#outgoing.values()];
    let idle = 0;
    try {
      for (;;) {
        if (this.#buffered >= WATER_MARKS.bulk) {
          this.#buffered = lane.bufferedAmount;
          if (this.#buffered >= WATER_MARKS.bulk) break;
        }
        const { pace } = lane;
        if (pace !== undefined && this.#aheadOfPace()) return;
        this.#cursor %= senders.length;
        const frame = senders[this.#cursor]?.nextFrame();
        this.#cursor += 1;
        if (frame) {
          lane.send(frame);
          this.#buffered += frame.byteLength;
          if (pace !== undefined) {
            const from = Math.max(this.#paidUntil, performance.now());
            this.#paidUntil = from + (frame.byteLength * 1000) / pace;
          }
          idle = 0;
        } else if (++idle >= senders.length) return;
      }
      this.#waiting = true;
      lane.awaitDrain();
    } catch {
      // The lane is closing; a new one resumes from the receiver's offset.
    }
  }

  /** More than {@link PACE_BURST_MS} was sent ahead of the pace: the pump waits it out. */
  #aheadOfPace(): boolean {
    const ahead = this.#paidUntil - performance.now();
    if (ahead <= PACE_BURST_MS) return false;
    this.#paceTimer = setTimeout(() => {
      this.#paceTimer = undefined;
      this.#pump();
    }, ahead - PACE_BURST_MS);
    return true;
  }

  #sendControl(frame: ControlFrame): void {
    const lane = this.#lane;
    if (!lane?.open) return; // the next lane's sync repeats what matters
    try {
      lane.send(encodeControl(frame));
    } catch {
      // As above.
    }
  }

  #onFrame(bytes: Uint8Array): void {
    const decoded = decodeTransferFrame(bytes);
    if (decoded.kind === 'invalid') {
      const peerId = this.options.peer.id;
      this.options.onError(
        new PeerlaneError('INVALID_DATA', `peer ${peerId}: ${decoded.reason}`, { peerId }),
      );
      return;
    }
    if (decoded.kind === 'chunk') {
      const { id, offset, payload } = decoded.chunk;
      const transfer = this.#incoming.get(id);
      if (transfer) transfer.chunk(offset, payload);
      else if (!this.#finished.has(`in:${id}`)) {
        // Answered once; the chunks still in flight after it are dropped quietly.
        this.#answerUnknown('in', id);
        const reason = `no transfer ${id}`;
        this.#finish('in', id, {
          t: 'cancel',
          id,
          by: 'receiver',
          code: 'TRANSFER_FAILED',
          reason,
        });
      }
      return;
    }
    const { frame } = decoded;
    if (frame.t === 'sync') {
      this.#sync(); // the peer lost frames: both sides start again from what is confirmed
      return;
    }
    const incoming = FROM_SENDER.has(frame.t) || (frame.t === 'cancel' && frame.by === 'sender');
    if (incoming) this.#toIncoming(frame);
    else {
      const transfer = this.#outgoing.get(frame.id);
      if (transfer) transfer.receive(frame);
      else if (!TERMINAL.has(frame.t)) this.#answerUnknown('out', frame.id);
    }
  }

  #toIncoming(frame: TransferControl): void {
    const known = this.#incoming.get(frame.id);
    if (known) {
      known.receive(frame);
      return;
    }
    if (frame.t !== 'offer') {
      if (!TERMINAL.has(frame.t)) this.#answerUnknown('in', frame.id);
      return;
    }
    if (this.#finished.has(`in:${frame.id}`)) {
      this.#answerUnknown('in', frame.id);
      return;
    }
    const transfer = new IncomingTransfer(frame.id, frame, {
      peer: this.options.peer,
      sendControl: (control) => this.#sendControl(control),
      finished: (last) => this.#finish('in', frame.id, last),
    });
    this.#incoming.set(frame.id, transfer);
    this.options.onIncoming(transfer);
  }

  /** A frame about a transfer this side has finished (or never had): answer with how it ended. */
  #answerUnknown(direction: 'in' | 'out', id: number): void {
    const finished = this.#finished.get(`${direction}:${id}`);
    if (finished?.ours) {
      this.#sendControl(finished.last);
      return;
    }
    const by = direction === 'in' ? 'receiver' : 'sender';
    const [code, reason] = finished
      ? (['TRANSFER_CANCELLED', `transfer ${id} is over`] as const)
      : (['TRANSFER_FAILED', `no transfer ${id}`] as const);
    this.#sendControl({ t: 'cancel', id, by, code, reason });
  }

  #finish(direction: 'in' | 'out', id: number, last: ControlFrame): void {
    (direction === 'in' ? this.#incoming : this.#outgoing).delete(id);
    const ours =
      direction === 'out'
        ? last.t === 'cancel' && last.by === 'sender'
        : last.t === 'reject' ||
          last.t === 'verified' ||
          (last.t === 'cancel' && last.by === 'receiver');
    this.#finished.set(`${direction}:${id}`, { last, ours, generation: this.#generation });
    if (this.#finished.size > REMEMBERED * 2) {
      const oldest = this.#finished.keys().next().value;
      if (oldest !== undefined) this.#finished.delete(oldest);
    }
    this.#pump();
  }
}
