/**
 * The sending side of one transfer: reads the source only as far as the receiver's credit
 * allows, hashes each byte once as it is read, keeps the bytes the receiver has not yet
 * confirmed (so a new lane can resume from the receiver's offset, whatever the source),
 * and hands chunk frames to the `PeerTransfers` scheduler one at a time.
 */
import type { FileSource, RemotePeer, SendFileOptions } from '../api.js';
import { PeerlaneError } from '../errors.js';
import { nextTask } from '../runtime.js';
import { createFileDigest, type FileDigest } from './file-digest.js';
import type { ChunkReader } from './file-source.js';
import { describeSource, openSource } from './file-source.js';
import { TransferHandle } from './file-transfer.js';
import {
  allocateChunk,
  type CancelCode,
  CHUNK_HEADER_BYTES,
  type ControlFrame,
  cancelError,
  encodeControl,
} from './transfer-protocol.js';

/** The sender's most: however large a window the receiver grants. */
const MAX_WINDOW_BYTES = 64 * 1024 * 1024;
/**
 * Reading ahead (a copy and SHA-256 of each chunk) runs for at most this long in one task
 * of the event loop; a task of 50 ms is a long one (the page stops answering).
 */
const SLICE_MS = 10;
/** Confirmed frames kept for reuse (a window's worth of chunks is read ahead at most). */
const MAX_SPARE_FRAMES = 16;

/** What an {@link OutgoingTransfer} needs from its `PeerTransfers`. */
export interface OutgoingContext {
  peer: RemotePeer;
  /** Sends a control frame now if the lane is open (a new lane's sync repairs any loss). */
  sendControl(frame: ControlFrame): void;
  /** A frame is ready to go: run the scheduler. */
  wake(): void;
  /** Payload bytes of a chunk that the lane in use carries in one piece. */
  chunkBytes(): number;
  /** The transfer is over; `last` is what to answer the other side about it from now on. */
  finished(last: ControlFrame): void;
}

type Phase = 'opening' | 'offered' | 'sending' | 'over';

export class OutgoingTransfer {
  readonly handle: TransferHandle<void>;
  #phase: Phase = 'opening';
  #reader: ChunkReader | undefined;
  #hash: FileDigest | undefined;
  /** Chunk frames of [acked, readEnd), in order: what the receiver has not confirmed. */
  #frames: Array<{ offset: number; frame: Uint8Array }> = [];
  /**
   * Frames the receiver confirmed, to be written over by the next chunks: every lane
   * copies a frame when it is sent, and a fresh buffer per chunk cost here 28× the time
   * of reusing one (new memory is zeroed and mapped in).
   */
  #spare: Uint8Array[] = [];
  /** Index in #frames of the next frame to send. */
  #next = 0;
  #acked = 0;
  #sent = 0;
  /** The most ever sent (a rewind sends some bytes again). */
  #maxSent = 0;
  #readEnd = 0;
  #window = 0;
  #reading = false;
  /** The source has ended at #readEnd: nothing more is read. */
  #readAll = false;
  /** The file's digest, once every piece is hashed: the `end` frame can go. */
  #digest: string | undefined;
  #endSent = false;
  /**
   * The `end` went out at least once. A resume asks for it again (`#endSent` false), but the
   * receiver may have had it and answer `verified` before it goes again (its answer to
   * the new lane, then its check, while other files fill the lane).
   */
  #endEverSent = false;
  /** A new lane opened: nothing is sent until the receiver says where it is. */
  #awaitingResume = false;
  /** The offset of the last `accept` acted on. */
  #resumedFrom = -1;

  constructor(
    readonly id: number,
    private readonly source: FileSource,
    private readonly options: SendFileOptions,
    private readonly context: OutgoingContext,
  ) {
    // Named, typed and sized from the start when the source says so (a File, a path):
    // an app shows the transfer before the source is open.
    const known = describeSource(source);
    this.handle = new TransferHandle<void>({
      direction: 'send',
      peer: context.peer,
      name: options.name ?? known.name ?? 'file',
      size: options.size ?? known.size,
      type: options.type ?? known.type ?? '',
      onCancel: (reason) => this.abort('TRANSFER_CANCELLED', reason, true),
    });
    void this.#open();
  }

  /**
   * The offer, for the first lane and again for every new one: until it is answered, and
   * while sending too, since a receiver answers the offer of a transfer it is receiving
   * with `accept` from its offset. Its own `accept` on the new lane may have arrived
   * before this side listened there; the two sides move lanes at different moments.
   */
  offerFrame(): ControlFrame | undefined {
    if (this.#phase !== 'offered' && this.#phase !== 'sending') return undefined;
    const { name, size, type } = this.handle;
    return { t: 'offer', id: this.id, name, size: size ?? null, type };
  }

  /**
   * A new lane: frames in flight on the old one may be lost. Wait for the receiver's
   * `accept`, which it sends on every new lane with the offset it has, and go on from there.
   */
  rewind(): void {
    if (this.#phase === 'sending') this.#awaitingResume = true;
  }

  /** The lane is down (`paused`) or up again (`transferring`). */
  laneChanged(open: boolean): void {
    if (this.#phase === 'sending') this.handle.setState(open ? 'transferring' : 'paused');
  }

  /** The next frame to put on the lane, if one is ready: a chunk, or the `end`. */
  nextFrame(): Uint8Array | undefined {
    if (this.#phase !== 'sending' || this.#awaitingResume) return undefined;
    const entry = this.#frames[this.#next];
    if (entry) {
      this.#next += 1;
      this.#sent = entry.offset + entry.frame.byteLength - CHUNK_HEADER_BYTES;
      this.#maxSent = Math.max(this.#maxSent, this.#sent);
      this.handle.update(this.#maxSent, this.#acked);
      return entry.frame;
    }
    if (this.#digest === undefined || this.#endSent) return undefined;
    this.#endSent = true;
    this.#endEverSent = true;
    this.handle.setState('verifying');
    return encodeControl({ t: 'end', id: this.id, size: this.#readEnd, digest: this.#digest });
  }

  /** Handles a control frame about this transfer from the receiver. */
  receive(frame: ControlFrame): void {
    if (this.#phase === 'over') return;
    if (frame.t === 'accept') this.#onAccept(frame.offset, frame.window);
    else if (frame.t === 'ack') this.#onAck(frame.offset);
    else if (frame.t === 'verified') this.#onVerified();
    else if (frame.t === 'reject') {
      const error = new PeerlaneError(
        'TRANSFER_REJECTED',
        `peer ${this.context.peer.id} rejected ${this.handle.name}${frame.reason ? `: ${frame.reason}` : ''}`,
        { peerId: this.context.peer.id },
      );
      this.#finish(error, frame);
    } else if (frame.t === 'cancel') this.#finish(cancelError(frame, this.context.peer.id), frame);
  }

  /**
   * Ends the transfer with `code`; tells the receiver when `tell` (not when the receiver
   * is gone, or ended it itself).
   */
  abort(code: CancelCode | 'PEER_LEFT' | 'LEFT_ROOM', reason: string, tell: boolean): void {
    if (this.#phase === 'over') return;
    const last: ControlFrame = {
      t: 'cancel',
      id: this.id,
      by: 'sender',
      code: code === 'PEER_LEFT' || code === 'LEFT_ROOM' ? 'TRANSFER_CANCELLED' : code,
      reason,
    };
    if (tell && this.#phase !== 'opening') this.context.sendControl(last);
    const peerId = this.context.peer.id;
    this.#finish(new PeerlaneError(code, `peer ${peerId}: ${reason}`, { peerId }), last);
  }

  async #open(): Promise<void> {
    try {
      const opened = await openSource(this.source);
      this.#hash = await createFileDigest();
      if (this.#phase === 'over') {
        await opened.reader.close();
        return;
      }
      this.#reader = opened.reader;
      if (this.options.name === undefined && opened.name) this.handle.name = opened.name;
      if (this.options.type === undefined && opened.type) this.handle.type = opened.type;
      if (opened.size !== undefined) this.handle.size = opened.size;
      this.#phase = 'offered';
      const offer = this.offerFrame();
      if (offer) this.context.sendControl(offer);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.abort('SOURCE_UNREADABLE', `cannot read the file: ${reason}`, false);
    }
  }

  #onAccept(offset: number, window: number): void {
    // On a new lane both sides ask (see offerFrame), so the same answer may come twice;
    // going back for it would send again everything sent since the first.
    if (this.#phase === 'sending' && !this.#awaitingResume && offset === this.#resumedFrom) return;
    this.#resumedFrom = offset;
    if (this.#phase === 'offered') {
      this.#phase = 'sending';
      this.handle.setState('transferring');
    }
    this.#window = Math.min(window, MAX_WINDOW_BYTES);
    this.#awaitingResume = false;
    if (offset < this.#acked || offset > this.#readEnd) {
      this.#violation(
        `the receiver asked for offset ${offset}, outside ${this.#acked}–${this.#readEnd}`,
      );
      return;
    }
    // Everything before `offset` has reached the receiver: it is confirmed — the acks that
    // said so may have been lost with the old lane, and without them no credit would ever
    // come back — and sending goes on from there.
    this.#confirm(offset);
    const index = this.#frames.findIndex((f) => f.offset >= offset);
    this.#next = index === -1 ? this.#frames.length : index;
    this.#sent = offset;
    this.#endSent = false; // sent again once every chunk is (it may have been lost)
    this.#fill();
    this.context.wake();
  }

  #onAck(offset: number): void {
    if (this.#phase !== 'sending' || offset <= this.#acked) return;
    if (offset > this.#maxSent) {
      this.#violation(
        `the receiver confirmed ${offset} bytes, more than the ${this.#maxSent} sent`,
      );
      return;
    }
    this.#confirm(offset);
    this.#fill();
  }

  /** The receiver has every byte before `offset`: their frames are done with (kept to reuse). */
  #confirm(offset: number): void {
    if (offset <= this.#acked) return;
    let drop = 0;
    while (drop < this.#frames.length && (this.#frames[drop]?.offset ?? 0) < offset) drop += 1;
    for (const { frame } of this.#frames.splice(0, drop)) {
      if (this.#spare.length < MAX_SPARE_FRAMES) this.#spare.push(frame);
    }
    this.#next = Math.max(0, this.#next - drop);
    this.#acked = offset;
    this.handle.update(this.#maxSent, this.#acked);
  }

  #onVerified(): void {
    if (this.#phase !== 'sending' || !this.#endEverSent) {
      this.#violation('the receiver verified a file it cannot have had whole');
      return;
    }
    this.#acked = this.#readEnd;
    this.handle.update(this.#readEnd, this.#readEnd, true);
    this.#finish(undefined, { t: 'verified', id: this.id });
  }

  /**
   * Reads ahead while the receiver's credit allows: at most `window` bytes past `acked`.
   * Reading copies and hashes each chunk on this thread, so after {@link SLICE_MS} of it
   * the loop goes on in a new task: a window of megabytes is never one long task.
   */
  #fill(): void {
    if (this.#reading || this.#readAll || this.#phase !== 'sending') return;
    this.#reading = true;
    void (async () => {
      try {
        let sliceStart = performance.now();
        while (this.#phase === 'sending' && !this.#readAll) {
          // At most a quarter window: the receiver confirms in quarter windows, so credit
          // for a whole chunk always comes back (a window near one chunk waited for ever).
          const chunk = Math.min(
            this.context.chunkBytes(),
            Math.max(1, Math.floor(this.#window / 4)),
          );
          const room = this.#acked + this.#window - this.#readEnd;
          // Less than a chunk is read only to finish the file (a chunk of what is left,
          // or the check that a source of that size ends there).
          const left = this.handle.size === undefined ? chunk : this.handle.size - this.#readEnd;
          if (room < Math.min(chunk, left) || room <= 0) break;
          await this.#readChunk(Math.min(room, chunk));
          if (performance.now() - sliceStart >= SLICE_MS) {
            await nextTask();
            sliceStart = performance.now();
          }
        }
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.abort('SOURCE_UNREADABLE', `cannot read the file: ${reason}`, true);
      } finally {
        this.#reading = false;
      }
    })();
  }

  async #readChunk(room: number): Promise<void> {
    const reader = this.#reader;
    const hash = this.#hash;
    if (!reader || !hash) return;
    const size = this.handle.size;
    const wanted = size === undefined ? room : Math.min(room, size - this.#readEnd);
    if (wanted <= 0) {
      // The declared size is reached: the source must end here.
      if ((await reader.read(new Uint8Array(1))) > 0) {
        throw new Error(`the source gave more than its size of ${size} bytes`);
      }
      return this.#ended();
    }
    const offset = this.#readEnd;
    const frame = allocateChunk(this.id, offset, wanted, this.#spare.pop());
    const got = await reader.read(frame.subarray(CHUNK_HEADER_BYTES));
    if (this.#phase !== 'sending') return;
    if (got > 0) {
      const payload = frame.subarray(CHUNK_HEADER_BYTES, CHUNK_HEADER_BYTES + got);
      hash.update(payload);
      this.#frames.push({
        offset,
        frame: got === wanted ? frame : frame.slice(0, CHUNK_HEADER_BYTES + got),
      });
      this.#readEnd += got;
      this.context.wake();
    }
    if (got < wanted) this.#ended();
  }

  /** The source has ended at #readEnd. */
  #ended(): void {
    const size = this.handle.size;
    if (size !== undefined && this.#readEnd !== size) {
      throw new Error(`the source ended after ${this.#readEnd} of its ${size} bytes`);
    }
    this.handle.size = this.#readEnd;
    this.#readAll = true;
    void this.#reader?.close();
    this.#hash?.hex().then(
      (digest) => {
        this.#digest = digest;
        this.context.wake();
      },
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        this.abort('SOURCE_UNREADABLE', `cannot hash the file: ${reason}`, true);
      },
    );
  }

  #violation(reason: string): void {
    this.abort('TRANSFER_FAILED', reason, true);
  }

  #finish(error: PeerlaneError | undefined, last: ControlFrame): void {
    if (this.#phase === 'over') return;
    this.#phase = 'over';
    this.#frames = [];
    this.#spare = [];
    void this.#reader?.close();
    this.context.finished(last);
    if (error) this.handle.fail(error);
    else this.handle.complete();
  }
}
