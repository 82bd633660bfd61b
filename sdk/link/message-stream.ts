import type { MessageData } from '../api.js';
import { PeerlaneError } from '../errors.js';
import { copyPool } from './copy-pool.js';
import { WATER_MARKS } from './flow.js';
import { decodeFrame, encodeFragment, HEADER_BYTES, MAX_FRAME_BYTES } from './framing.js';

/** Where an {@link Outbox} puts frames: one transport to one peer. */
export interface FrameSink {
  /** Bytes handed to the transport and not yet on the wire. */
  readonly bufferedAmount: number;
  /** The largest frame it carries in one piece. @default MAX_FRAME_BYTES */
  readonly maxFrameBytes?: number;
  /** Sends one frame, copying what it keeps before it returns (as a `Lane` does). */
  send(frame: Uint8Array): void;
}

const LAST_SEQ = 0xffff_ffff;
const nextSeq = (seq: number): number => (seq === LAST_SEQ ? 1 : seq + 1);

interface Outgoing {
  seq: number;
  text: boolean;
  broadcast: boolean;
  bytes: Uint8Array;
  /** Bytes of `bytes` already handed to the transport. */
  sent: number;
}

const encoder = new TextEncoder();

/**
 * Turns what `send()` accepts into the bytes and type tag the frames carry: a copy (the
 * caller may reuse its buffer while the message waits), in a buffer of {@link copyPool}
 * when large — the outbox gives it back once the peer confirmed a message sent to it alone.
 */
export function toBytes(data: string | Uint8Array | ArrayBuffer): {
  text: boolean;
  bytes: Uint8Array;
} {
  if (typeof data === 'string') return { text: true, bytes: encoder.encode(data) };
  const view = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  return { text: false, bytes: copyPool.copy(view) };
}

/**
 * The sending half of a link's message stream: numbers each message, queues it, and cuts
 * it into frames for the transport, never letting the transport's buffer grow past
 * `WATER_MARKS.message` (`flow.ts`) (real back-pressure: memory stays bounded by the messages the
 * application handed over, and a 10 MiB message is fed in 64 KiB frames).
 */
export class Outbox {
  #queue: Outgoing[] = [];
  /** With `retain`: messages completely handed to a transport and not yet acknowledged. */
  #unacked: Outgoing[] = [];
  #nextSeq = 1;
  #queuedBytes = 0;
  /**
   * Frames are encoded here, sent, and written over by the next (the sink copies what it
   * keeps): a new buffer per frame cost a new allocation. As large as the largest frame sent.
   */
  #frame: Uint8Array | undefined;

  /**
   * @param retain keep each sent message until {@link ack} confirms it, so {@link rewind}
   * can send it again on another route (`handover.ts`).
   */
  constructor(private readonly retain = false) {}

  /** Messages not yet completely handed to a transport. */
  get length(): number {
    return this.#queue.length;
  }

  /** Bytes of queued messages not yet handed to a transport. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Numbers a message and queues it behind the others. */
  push(text: boolean, bytes: Uint8Array, broadcast = false): void {
    this.#queue.push({ seq: this.#nextSeq, text, broadcast, bytes, sent: 0 });
    this.#nextSeq = nextSeq(this.#nextSeq);
    this.#queuedBytes += bytes.byteLength;
  }

  /**
   * Hands frames to `sink` in order until the queue is empty (returns true) or the sink
   * holds `WATER_MARKS.message` (`flow.ts`) bytes (returns false: call again when it drains).
   */
  flush(sink: FrameSink): boolean {
    // Fragments fill the sink's frames: the relay would cut a larger one in two.
    const fragment =
      Math.min(sink.maxFrameBytes ?? MAX_FRAME_BYTES, MAX_FRAME_BYTES) - HEADER_BYTES;
    for (;;) {
      const message = this.#queue[0];
      if (!message) return true;
      if (sink.bufferedAmount >= WATER_MARKS.message) return false;
      const end = Math.min(message.sent + fragment, message.bytes.byteLength);
      const length = HEADER_BYTES + end - message.sent;
      if (!this.#frame || this.#frame.byteLength < length) this.#frame = new Uint8Array(length);
      sink.send(
        encodeFragment(
          {
            seq: message.seq,
            text: message.text,
            broadcast: message.broadcast,
            final: end === message.bytes.byteLength,
            offset: message.sent,
            payload: message.bytes.subarray(message.sent, end),
          },
          this.#frame,
        ),
      );
      this.#queuedBytes -= end - message.sent;
      message.sent = end;
      if (end === message.bytes.byteLength) {
        this.#queue.shift();
        if (this.retain) this.#unacked.push(message);
        else release(message);
      }
    }
  }

  /** Messages queued or sent and not yet acknowledged (with `retain`). */
  get pending(): number {
    return this.#queue.length + this.#unacked.length;
  }

  /** The receiver has every message up to `seq`: forget them. Returns how many were forgotten. */
  ack(seq: number): number {
    let done = 0;
    // Wrap-aware: a message is acknowledged when it is at most half the number space behind.
    while (
      done < this.#unacked.length &&
      (seq - (this.#unacked[done]?.seq ?? 0)) >>> 0 < 0x8000_0000
    )
      done += 1;
    if (done > 0) for (const message of this.#unacked.splice(0, done)) release(message);
    return done;
  }

  /**
   * Puts every unacknowledged message back at the head of the queue, to be sent again
   * whole, from its first byte (the receiver drops what it already has).
   */
  rewind(): void {
    const again = [...this.#unacked, ...this.#queue];
    this.#unacked = [];
    this.#queue = again;
    this.#queuedBytes = 0;
    for (const message of again) {
      message.sent = 0;
      this.#queuedBytes += message.bytes.byteLength;
    }
  }

  /**
   * The receiver starts its count again (the peer's link was made anew): every message not
   * yet acknowledged is put back, as {@link rewind} does, and numbered again from 1.
   */
  restart(): void {
    this.rewind();
    let seq = 1;
    for (const message of this.#queue) {
      message.seq = seq;
      seq = nextSeq(seq);
    }
    this.#nextSeq = seq;
  }

  /** Drops every queued message; returns how many were dropped. */
  clear(): number {
    const dropped = this.#queue.length + this.#unacked.length;
    for (const message of [...this.#queue, ...this.#unacked]) release(message);
    this.#queue.length = 0;
    this.#unacked.length = 0;
    this.#queuedBytes = 0;
    return dropped;
  }
}

/**
 * A message leaves the outbox: its copy may be written over (every lane copied what it was
 * sent). A broadcast's bytes are shared by every peer's outbox: never given back.
 */
function release(message: Outgoing): void {
  if (!message.broadcast) copyPool.release(message.bytes);
}

/**
 * The receiving half: reassembles fragments into messages, restores their type, delivers
 * each message once and in order, and drops duplicates (fragments of messages it already
 * has). Problems are returned as errors for the link to report; they never throw.
 */
export class Inbox {
  #expected = 1;
  /** The message found missing (reported once), if one is. */
  #gap = 0;
  #lastComplete = 0;
  #parts: Uint8Array[] = [];
  #size = 0;
  /** The message being received is too large or broken: skip the rest of its fragments. */
  #skipping = false;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly maxMessageBytes: number,
    /** Gets each whole message, and whether it was sent to the whole room. */
    private readonly deliver: (data: MessageData, broadcast: boolean) => void,
    /**
     * Message `seq` is missing (a later one came first): called once per gap. Nothing after
     * it is taken until it comes again.
     */
    private readonly missing: (seq: number) => void = () => {},
  ) {}

  /** The sequence number of the last message received whole (0: none yet). */
  get lastComplete(): number {
    return this.#lastComplete;
  }

  /** Forgets a message received in part (its sender will send it again from its start). */
  dropPartial(): void {
    this.#reset();
  }

  /** The sender starts its count again (its link was made anew): expect message 1 next. */
  restart(): void {
    this.#reset();
    this.#expected = 1;
    this.#gap = 0;
    this.#lastComplete = 0;
  }

  /** Takes one frame from the transport. */
  receive(frame: Uint8Array): PeerlaneError | undefined {
    const decoded = decodeFrame(frame);
    if (decoded.kind === 'unknown' || decoded.kind === 'ping') return undefined;
    if (decoded.kind === 'invalid') return new PeerlaneError('INVALID_DATA', decoded.reason);
    const { seq, text, final, offset, payload, broadcast = false } = decoded.fragment;
    let problem: PeerlaneError | undefined;
    if (seq !== this.#expected) {
      // Within half the number space behind what we expect: a message we already have.
      if ((this.#expected - seq) >>> 0 < 0x8000_0000) return undefined;
      // Ahead: a message in between was lost on the relay (in flight when the server
      // restarted or a peer moved to another node; or dropped as tampered, which sealing
      // reports). Nothing after it is taken until it comes again: asked for once per gap,
      // and the sender, missing its acknowledgement, sends it again anyway
      // (`stall-watch.ts`). Lost and sent again is not an error of the application's.
      if (this.#gap === this.#expected) return undefined;
      this.#gap = this.#expected;
      this.#reset();
      this.missing(this.#expected);
      return undefined;
    }
    if (offset !== this.#size) {
      if (offset === 0)
        this.#reset(); // the message is being sent again from its start
      else if (offset < this.#size)
        return problem; // a fragment we already have
      else if (!this.#skipping) {
        this.#reset();
        this.#skipping = true;
        problem = new PeerlaneError('INVALID_DATA', `message ${seq} lost bytes before ${offset}`);
      }
    }
    if (!this.#skipping && this.#size + payload.byteLength > this.maxMessageBytes) {
      this.#reset();
      this.#skipping = true;
      problem = new PeerlaneError(
        'MESSAGE_TOO_LARGE',
        `message ${seq} is larger than maxMessageBytes (${this.maxMessageBytes}); dropped`,
      );
    }
    if (!this.#skipping) {
      this.#parts.push(payload);
      this.#size += payload.byteLength;
    } else {
      this.#size = offset + payload.byteLength;
    }
    if (!final) return problem;
    const skipped = this.#skipping;
    const bytes = skipped ? undefined : this.#concat();
    this.#reset();
    this.#expected = nextSeq(seq);
    this.#lastComplete = seq;
    if (!bytes) return problem;
    if (!text) {
      this.deliver(bytes, broadcast);
      return problem;
    }
    let string: string;
    try {
      string = this.#decoder.decode(bytes);
    } catch (error) {
      return new PeerlaneError('INVALID_DATA', `message ${seq} is not valid UTF-8`, {
        cause: error,
      });
    }
    this.deliver(string, broadcast);
    return problem;
  }

  #concat(): Uint8Array {
    const whole = new Uint8Array(this.#size);
    let at = 0;
    for (const part of this.#parts) {
      whole.set(part, at);
      at += part.byteLength;
    }
    return whole;
  }

  #reset(): void {
    this.#parts = [];
    this.#size = 0;
    this.#skipping = false;
  }
}
