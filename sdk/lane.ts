/**
 * Lanes: the channels of frames a link offers the layers above it. A link to one peer has
 * the ordered message lane (messages, PINGs: `peer-link.ts`) and a bulk lane for file
 * chunks, so chat never waits behind a file. Over WebRTC each lane is its own
 * RTCDataChannel (its own SCTP stream, scheduled round-robin by the browser); a later
 * transport (the WebSocket relay) provides the same interface, and the transfer layer
 * (`transfer/`) works on any of them.
 */
import { Emitter } from './emitter.js';
import { MAX_FRAME_BYTES } from './framing.js';

/** What a {@link Lane} reports. */
export interface LaneEvents {
  /** The lane can carry frames (emitted once; `lane.open` is true from then on). */
  open: () => void;
  /** One frame arrived from the remote peer. */
  frame: (frame: Uint8Array) => void;
  /**
   * The send buffer fell to the low-water mark after {@link Lane.awaitDrain}. Never
   * emitted from inside `send()` or `awaitDrain()`, so a sender may feed the lane from it.
   */
  drain: () => void;
  /** The lane is gone for good; frames still buffered in it may be lost. */
  close: () => void;
}

/** A reliable, ordered channel of frames to one peer. */
export interface Lane extends Emitter<LaneEvents> {
  /** True while frames can be sent. */
  readonly open: boolean;
  /** Bytes handed to {@link send} and not yet on the wire. */
  readonly bufferedAmount: number;
  /**
   * The largest frame the lane carries in one piece (at most `MAX_FRAME_BYTES`). Larger
   * frames still arrive whole, but cost more: the relay cuts them in two.
   */
  readonly maxFrameBytes: number;
  /** Sends one frame (at most `MAX_FRAME_BYTES`). Throws when the lane is not open. */
  send(frame: Uint8Array): void;
  /** Emits `drain` once `bufferedAmount` is down to the low-water mark. */
  awaitDrain(): void;
}

/** Buffered bytes at or below which a waiting sender may go on. */
export const LANE_LOW_WATER_MARK = 512 * 1024;
/** How often to look at `bufferedAmount` where `bufferedamountlow` does not exist (wrtc). */
const DRAIN_POLL_MS = 5;

/**
 * The data-channel id of the bulk lane. Both sides create it with `negotiated: true`, so it
 * needs no offer/answer of its own and exists as soon as the SCTP association does.
 * Channels the SDK does not negotiate get small ids (simple-peer's is 0 or 1), so a high
 * even one never collides; it stays below the 1024 streams every libwebrtc negotiates.
 */
export const BULK_CHANNEL_ID = 1000;

/** A {@link Lane} over one RTCDataChannel. */
export class DataChannelLane extends Emitter<LaneEvents> implements Lane {
  readonly maxFrameBytes = MAX_FRAME_BYTES;
  #drainPoll: ReturnType<typeof setInterval> | undefined;
  #lowEvents = false;
  /** Kept from events: in @roamhq/wrtc every read of `readyState` is a slow native call. */
  #open: boolean;
  #closed = false;

  constructor(private readonly channel: RTCDataChannel) {
    super();
    channel.binaryType = 'arraybuffer';
    if (typeof channel.bufferedAmountLowThreshold === 'number') {
      this.#lowEvents = true;
      channel.bufferedAmountLowThreshold = LANE_LOW_WATER_MARK;
      channel.addEventListener('bufferedamountlow', () => this.emit('drain'));
    }
    this.#open = channel.readyState === 'open';
    channel.addEventListener('open', () => {
      this.#open = true;
      this.emit('open');
    });
    channel.addEventListener('message', (event: MessageEvent) => {
      const { data } = event;
      if (data instanceof ArrayBuffer) this.emit('frame', new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) {
        this.emit('frame', new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      }
      // A string is no frame of ours: ignored.
    });
    channel.addEventListener('close', () => this.#onClose());
  }

  get open(): boolean {
    return this.#open && !this.#closed;
  }

  get bufferedAmount(): number {
    return this.#closed ? 0 : this.channel.bufferedAmount;
  }

  send(frame: Uint8Array): void {
    // Checked on every send, not only from events: a connection closed under the channel
    // (RTCPeerConnection.close()) fires no `close` here, and @roamhq/wrtc may crash the
    // process when asked to send on it.
    if (this.channel.readyState !== 'open') {
      this.#onClose();
      throw new Error('the lane is closed');
    }
    // The DOM typings want an ArrayBuffer-backed view; frames always are.
    this.channel.send(frame as Uint8Array<ArrayBuffer>);
  }

  awaitDrain(): void {
    if (this.#lowEvents || this.#drainPoll || this.#closed) return;
    this.#drainPoll = setInterval(() => {
      if (this.channel.bufferedAmount > LANE_LOW_WATER_MARK && !this.#closed) return;
      clearInterval(this.#drainPoll);
      this.#drainPoll = undefined;
      if (!this.#closed) this.emit('drain');
    }, DRAIN_POLL_MS);
  }

  /** Closes the channel (the connection closing closes it too). */
  close(): void {
    this.channel.close();
    this.#onClose();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#drainPoll);
    this.#drainPoll = undefined;
    this.emit('close');
  }
}
