/**
 * A {@link Lane} over one RTCDataChannel. A direct route has two, both made with
 * `negotiated: true` and a fixed id, so they need no offer/answer of their own and open
 * as soon as the SCTP association does.
 */
import { Emitter } from '../../emitter.js';
import { DrainPoll, WATER_MARKS } from '../flow.js';
import { MAX_FRAME_BYTES, SAFE_FRAME_BYTES } from '../framing.js';
import type { Lane, LaneEvents } from '../lane.js';

/**
 * The data-channel ids of the two lanes. Channels the SDK does not negotiate get small ids
 * (simple-peer's own is 0 or 1), so high even ones never collide; they stay below the 1024
 * streams every libwebrtc negotiates.
 */
export const LANE_CHANNEL_IDS = { bulk: 1000, message: 1002 } as const;

/** A {@link Lane} over one RTCDataChannel. */
export class DataChannelLane extends Emitter<LaneEvents> implements Lane {
  readonly #drainPoll = new DrainPoll();
  /** The channel's limit, read once the connection has negotiated it. */
  #maxFrameBytes: number | undefined;
  #lowEvents = false;
  /** Kept from events: in @roamhq/wrtc every read of `readyState` is a slow native call. */
  #open: boolean;
  #closed = false;
  /** Set by the direct route while a call runs on it (`call-pace.ts`). */
  pace: number | undefined;

  /**
   * @param channel the lane's data channel.
   * @param sctp the connection's SCTP transport once negotiated (`RTCPeerConnection.sctp`):
   *   its `maxMessageSize` is the largest message both ends take.
   */
  constructor(
    private readonly channel: RTCDataChannel,
    private readonly sctp: () => { maxMessageSize: number } | null | undefined = () => undefined,
  ) {
    super();
    channel.binaryType = 'arraybuffer';
    if (typeof channel.bufferedAmountLowThreshold === 'number') {
      this.#lowEvents = true;
      channel.bufferedAmountLowThreshold = WATER_MARKS.laneLow;
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

  /**
   * The largest message both ends take (at most {@link MAX_FRAME_BYTES}); until the
   * connection has negotiated it, or where the runtime does not tell, {@link SAFE_FRAME_BYTES}.
   */
  get maxFrameBytes(): number {
    if (this.#maxFrameBytes !== undefined) return this.#maxFrameBytes;
    const size = this.sctp()?.maxMessageSize;
    if (!(typeof size === 'number' && size > 0)) return SAFE_FRAME_BYTES;
    this.#maxFrameBytes = Math.min(MAX_FRAME_BYTES, size);
    return this.#maxFrameBytes;
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
    // Browsers have `bufferedamountlow`; @roamhq/wrtc has not, so it is polled there.
    if (this.#lowEvents || this.#closed) return;
    this.#drainPoll.start(
      () => this.#closed || this.channel.bufferedAmount <= WATER_MARKS.laneLow,
      () => {
        if (!this.#closed) this.emit('drain');
      },
    );
  }

  /** Closes the channel (the connection closing closes it too). */
  close(): void {
    this.channel.close();
    this.#onClose();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#drainPoll.stop();
    this.emit('close');
  }
}
