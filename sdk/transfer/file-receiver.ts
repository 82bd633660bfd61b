/**
 * The receiving side of one transfer: the offer as the application sees it (accept or
 * reject), then chunks written to the sink in order with back-pressure, credit granted
 * only for what was written, and the SHA-256 checked before anything is reported done.
 */
import type { AcceptOptions, FileTransfer, IncomingFile, RemotePeer } from '../api.js';
import { PeerlaneError } from '../errors.js';
import { createFileDigest, type FileDigest } from './file-digest.js';
import { blobSink, type Sink, writableSink } from './file-sink.js';
import { TransferHandle } from './file-transfer.js';
import {
  type CancelCode,
  type ControlFrame,
  cancelError,
  checkReason,
  MIN_WINDOW_BYTES,
} from './transfer-protocol.js';

export const DEFAULT_WINDOW_BYTES = 4 * 1024 * 1024;

/** What an {@link IncomingTransfer} needs from its `PeerTransfers`. */
export interface IncomingContext {
  peer: RemotePeer;
  sendControl(frame: ControlFrame): void;
  finished(last: ControlFrame): void;
}

type Phase = 'undecided' | 'receiving' | 'over';

export class IncomingTransfer implements IncomingFile {
  readonly from: RemotePeer;
  readonly name: string;
  readonly type: string;
  size: number | undefined;
  #phase: Phase = 'undecided';
  #handle: TransferHandle<Blob | undefined> | undefined;
  #sink: Sink | undefined;
  #hash: FileDigest | undefined;
  readonly #hashReady: Promise<FileDigest>;
  #window = DEFAULT_WINDOW_BYTES;
  /** Next offset expected from the sender (everything before it is here). */
  #expected = 0;
  #written = 0;
  #lastAck = 0;
  #queue: Uint8Array[] = [];
  #writing = false;
  #gapReported = false;
  /** A `resume()` waits for the queued bytes to be written. */
  #resumeWaits = false;
  #end: { size: number; digest: string } | undefined;
  /** Why the transfer ended, once it has: what an accept() after that fails with. */
  #outcome: PeerlaneError | undefined;

  constructor(
    readonly id: number,
    offer: Extract<ControlFrame, { t: 'offer' }>,
    private readonly context: IncomingContext,
  ) {
    this.from = context.peer;
    this.name = offer.name;
    this.size = offer.size ?? undefined;
    this.type = offer.type;
    // Made now, so that accepting starts the transfer without waiting for it.
    this.#hashReady = createFileDigest();
    this.#hashReady.catch(() => {});
  }

  accept(): FileTransfer<Blob>;
  accept(
    options: AcceptOptions & { writable: WritableStream<Uint8Array> },
  ): FileTransfer<undefined>;
  accept(options: AcceptOptions): FileTransfer<Blob | undefined>;
  accept(options: AcceptOptions = {}): FileTransfer<Blob | undefined> {
    if (this.#handle) return this.#handle;
    if (typeof options !== 'object' || options === null) {
      throw new PeerlaneError('INVALID_ARGUMENT', 'accept(): options must be an object');
    }
    const { writable, windowBytes = DEFAULT_WINDOW_BYTES } = options;
    if (!Number.isInteger(windowBytes) || windowBytes < MIN_WINDOW_BYTES || windowBytes > 1 << 30) {
      throw new PeerlaneError(
        'INVALID_ARGUMENT',
        `accept(): windowBytes must be an integer from ${MIN_WINDOW_BYTES} to 2^30`,
      );
    }
    if (writable !== undefined && typeof writable?.getWriter !== 'function') {
      throw new PeerlaneError('INVALID_ARGUMENT', 'accept(): writable must be a WritableStream');
    }
    if (writable?.locked) {
      // Its getWriter() would throw a TypeError once the transfer was half set up.
      throw new PeerlaneError('INVALID_ARGUMENT', 'accept(): writable is locked (it has a writer)');
    }
    const handle = new TransferHandle<Blob | undefined>({
      direction: 'receive',
      peer: this.from,
      name: this.name,
      size: this.size,
      type: this.type,
      onCancel: (reason) => this.abort('TRANSFER_CANCELLED', reason, true),
    });
    this.#handle = handle;
    if (this.#phase === 'over') {
      // It ended before the application decided (the sender cancelled, the peer left…).
      handle.fail(
        this.#outcome ??
          new PeerlaneError('TRANSFER_CANCELLED', `peer ${this.from.id} cancelled ${this.name}`, {
            peerId: this.from.id,
          }),
      );
      return handle;
    }
    this.#window = windowBytes;
    this.#sink = writable ? writableSink(writable) : blobSink();
    this.#phase = 'receiving';
    handle.setState('transferring');
    this.#hashReady.then(
      (hash) => {
        this.#hash = hash;
        this.resume();
      },
      (error: unknown) => this.abort('SINK_UNWRITABLE', `cannot hash: ${String(error)}`, true),
    );
    return handle;
  }

  reject(reason = ''): void {
    checkReason('reject', reason);
    if (this.#phase !== 'undecided') return;
    this.#phase = 'over';
    const last: ControlFrame = { t: 'reject', id: this.id, reason };
    this.context.sendControl(last);
    this.context.finished(last);
  }

  /**
   * The peer left or the room was left: an offer not yet decided is declined (a later
   * accept() fails with `code`), a transfer under way ends with `code`.
   */
  leave(code: 'PEER_LEFT' | 'LEFT_ROOM', reason: string): void {
    if (this.#phase !== 'undecided') {
      this.abort(code, reason, false);
      return;
    }
    this.reject(reason);
    this.#outcome = new PeerlaneError(code, `peer ${this.from.id}: ${reason}`, {
      peerId: this.from.id,
    });
  }

  /**
   * Tells the sender where to (re)start: after accept, and on every new lane. The sender
   * takes the offset as confirming every byte before it and grants itself a window from
   * there, so the answer waits until the bytes still queued for the sink are written:
   * credit is only for written bytes, and this side never holds more than a window.
   */
  resume(): void {
    if (this.#phase !== 'receiving' || !this.#hash) return;
    this.#gapReported = false;
    if (this.#written < this.#expected) {
      this.#resumeWaits = true; // #drain answers once the queue is written
      return;
    }
    this.#resumeWaits = false;
    this.#lastAck = this.#written;
    this.context.sendControl({
      t: 'accept',
      id: this.id,
      offset: this.#expected,
      window: this.#window,
    });
  }

  /** The lane is down (`paused`) or up again. */
  laneChanged(open: boolean): void {
    if (this.#phase === 'receiving' && !this.#end)
      this.#handle?.setState(open ? 'transferring' : 'paused');
  }

  chunk(offset: number, payload: Uint8Array): void {
    if (this.#phase !== 'receiving' || !this.#hash) return;
    // Nothing to write (a sender sends no empty chunk; the digest may be read already).
    if (payload.byteLength === 0) return;
    if (offset < this.#expected) return; // sent again after a resume: we have it
    if (offset > this.#expected) {
      // Bytes went missing (a lane was lost): ask once for a restart from what we have.
      if (!this.#gapReported) this.resume();
      this.#gapReported = true;
      return;
    }
    const end = offset + payload.byteLength;
    // A file of unknown size has one once its `end` came (its digest may be read already).
    const size = this.size ?? this.#end?.size;
    if (size !== undefined && end > size) {
      this.#violation(`bytes up to ${end} of a ${size}-byte file`);
      return;
    }
    if (end > this.#lastAck + this.#window) {
      this.#violation(`bytes up to ${end}, beyond the credit of ${this.#lastAck + this.#window}`);
      return;
    }
    this.#gapReported = false;
    this.#hash.update(payload);
    this.#expected = end;
    this.#queue.push(payload);
    this.#handle?.update(this.#expected, this.#written);
    void this.#drain();
  }

  /** Handles a control frame about this transfer from the sender. */
  receive(frame: ControlFrame): void {
    if (this.#phase === 'over') return;
    if (frame.t === 'cancel') {
      void this.#sink?.abort(frame.reason);
      this.#finish(cancelError(frame, this.from.id), frame);
    } else if (frame.t === 'offer') {
      // The sender moved to a new lane and asks where to go on from.
      this.resume();
    } else if (frame.t === 'end' && this.#phase === 'receiving' && !this.#end) {
      if (this.size !== undefined && frame.size !== this.size) {
        this.#violation(`the end says ${frame.size} bytes, the offer said ${this.size}`);
        return;
      }
      this.#end = { size: frame.size, digest: frame.digest };
      void this.#drain();
    }
  }

  /** Ends the transfer here with `code`, telling the sender when `tell`. */
  abort(code: CancelCode | 'PEER_LEFT' | 'LEFT_ROOM', reason: string, tell: boolean): void {
    if (this.#phase === 'over') return;
    const last: ControlFrame = {
      t: 'cancel',
      id: this.id,
      by: 'receiver',
      code: code === 'PEER_LEFT' || code === 'LEFT_ROOM' ? 'TRANSFER_CANCELLED' : code,
      reason,
    };
    if (tell) this.context.sendControl(last);
    void this.#sink?.abort(reason);
    this.#finish(
      new PeerlaneError(code, `peer ${this.from.id}: ${reason}`, { peerId: this.from.id }),
      last,
    );
  }

  /** Writes what is queued, one write at a time; acks as it goes; finishes at the end. */
  async #drain(): Promise<void> {
    if (this.#writing || !this.#sink) return;
    this.#writing = true;
    try {
      for (let bytes = this.#queue.shift(); bytes; bytes = this.#queue.shift()) {
        await this.#sink.write(bytes);
        if (this.#phase !== 'receiving') return;
        this.#written += bytes.byteLength;
        // Acks in steps of a quarter window: few frames, and the sender never stalls.
        if (this.#written - this.#lastAck >= Math.min(this.#window / 4, 1024 * 1024)) this.#ack();
        this.#handle?.update(this.#expected, this.#written);
      }
      if (this.#end && this.#written === this.#end.size) await this.#verify(this.#end.digest);
      else if (this.#end && this.#expected > this.#end.size) {
        this.#violation(`got ${this.#expected} bytes, the end says ${this.#end.size}`);
      } else if (this.#resumeWaits) this.resume();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.abort('SINK_UNWRITABLE', `cannot write the file: ${reason}`, true);
    } finally {
      this.#writing = false;
    }
  }

  #ack(): void {
    this.#lastAck = this.#written;
    this.context.sendControl({ t: 'ack', id: this.id, offset: this.#written });
  }

  async #verify(expected: string): Promise<void> {
    const handle = this.#handle;
    const sink = this.#sink;
    if (!handle || !sink || !this.#hash) return;
    handle.setState('verifying');
    let actual: string;
    try {
      actual = await this.#hash.hex();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.abort('TRANSFER_FAILED', `cannot hash the file: ${reason}`, true);
      return;
    }
    if (this.#phase !== 'receiving') return;
    if (actual !== expected) {
      const reason = `the file's digest does not match: received ${actual}, sender has ${expected}`;
      this.abort('INTEGRITY_FAILED', reason, true);
      return;
    }
    const result = await sink.close(this.type);
    if (this.#phase !== 'receiving') return;
    this.size = this.#written;
    handle.size = this.#written;
    const last: ControlFrame = { t: 'verified', id: this.id };
    this.context.sendControl(last);
    this.#phase = 'over';
    this.context.finished(last);
    handle.update(this.#written, this.#written, true);
    handle.complete(result);
  }

  #violation(reason: string): void {
    this.abort('TRANSFER_FAILED', reason, true);
  }

  #finish(error: PeerlaneError, last: ControlFrame): void {
    if (this.#phase === 'over') return;
    this.#phase = 'over';
    this.#outcome = error;
    this.#queue = [];
    this.context.finished(last);
    this.#handle?.fail(error);
  }
}
