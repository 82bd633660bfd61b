import type { PeerId, PeerMeta } from '../signaling/protocol.js';
import { PeerlaneError } from './errors.js';
import type { LinkMedia } from './link-media.js';
import { toBytes } from './message-stream.js';
import type { ConnectionState, PeerLink } from './peer-link.js';
import type { PeerStats } from './stats.js';

/** What `send()` and `broadcast()` accept. A string arrives as a string, bytes as a Uint8Array. */
export type SendData = string | Uint8Array | ArrayBuffer;

/** Another peer in the room, as `room.peers`, `room.peer(id)` and every event give it. */
export interface RemotePeer {
  /** The peer's id, stable for as long as it stays in the room (across reconnects too). */
  readonly id: PeerId;
  /** Its presence metadata, as it last set it. */
  readonly meta: PeerMeta;
  /** The state of the direct connection to it (see {@link ConnectionState}). */
  readonly state: ConnectionState;
  /** Bytes sent to it and not yet on the wire: queued in the SDK plus buffered in the data channel. */
  readonly bufferedAmount: number;
  /**
   * Sends a message to this peer over the direct connection: in order, reliably, of any
   * size up to `maxMessageBytes` (large ones are cut into 64 KiB frames with
   * back-pressure). Before the connection is up, or while it is being restored, messages
   * are queued, not lost. Bytes are copied, so the buffer may be reused at once.
   *
   * @throws PeerlaneError `PEER_LEFT` once the peer left, `LEFT_ROOM` once the room was
   * left, `PEER_UNREACHABLE` once the connection `failed`, `MESSAGE_TOO_LARGE`, or
   * `INVALID_ARGUMENT` when `data` is not a string, Uint8Array or ArrayBuffer.
   */
  send(data: SendData): void;
  /** The peer's audio/video while it sends any (the room's `stream` event gives it too). */
  readonly stream: MediaStream | undefined;
  /**
   * A snapshot of the connection to this peer: which path it takes (`host`, `srflx`,
   * `relay`), round-trip time, bitrates since the previous call, RTP counters per kind.
   * @throws PeerlaneError (as a rejection) `PEER_LEFT`, `LEFT_ROOM`, or `PEER_UNREACHABLE`
   * when there is no connection to measure.
   */
  getStats(): Promise<PeerStats>;
}

/** Checks what an application wants to send and turns it into the bytes frames carry. */
export function encodeMessage(
  data: SendData,
  maxMessageBytes: number,
): { text: boolean; bytes: Uint8Array } {
  if (typeof data !== 'string' && !(data instanceof Uint8Array) && !(data instanceof ArrayBuffer)) {
    throw new PeerlaneError(
      'INVALID_ARGUMENT',
      `send() takes a string, a Uint8Array or an ArrayBuffer (got ${typeof data})`,
    );
  }
  const message = toBytes(data);
  if (message.bytes.byteLength > maxMessageBytes) {
    throw new PeerlaneError(
      'MESSAGE_TOO_LARGE',
      `message of ${message.bytes.byteLength} bytes; maxMessageBytes is ${maxMessageBytes}`,
    );
  }
  return message;
}

/** Why a peer handle no longer sends: the peer left, or this room was left. */
type Ended = 'PEER_LEFT' | 'LEFT_ROOM';

/** The SDK's side of a {@link RemotePeer}: the room swaps its link and ends it. */
export class PeerHandle implements RemotePeer {
  #ended: Ended | null = null;
  /** The current link; the room replaces a failed one when the peer shows up again. */
  link: PeerLink;
  /** The media side of the current link; the room sets it with each link. */
  media: LinkMedia | undefined = undefined;

  constructor(
    readonly id: PeerId,
    public meta: PeerMeta,
    private readonly maxMessageBytes: number,
    createLink: (peer: PeerHandle) => PeerLink,
  ) {
    this.link = createLink(this);
  }

  get state(): ConnectionState {
    return this.#ended ? 'closed' : this.link.state;
  }

  get bufferedAmount(): number {
    return this.#ended ? 0 : this.link.bufferedAmount;
  }

  get stream(): MediaStream | undefined {
    return this.#ended ? undefined : this.media?.stream;
  }

  async getStats(): Promise<PeerStats> {
    const stats = this.#ended ? undefined : await this.media?.stats();
    if (stats) return stats;
    if (this.#ended) {
      const what = this.#ended === 'PEER_LEFT' ? `peer ${this.id} has left` : 'the room was left';
      throw new PeerlaneError(this.#ended, `no stats: ${what}`, { peerId: this.id });
    }
    throw new PeerlaneError('PEER_UNREACHABLE', `no stats: no connection to peer ${this.id}`, {
      peerId: this.id,
    });
  }

  send(data: SendData): void {
    const { text, bytes } = encodeMessage(data, this.maxMessageBytes);
    this.sendEncoded(text, bytes);
  }

  /** Sends a message already checked and encoded (once, for a whole broadcast). */
  sendEncoded(text: boolean, bytes: Uint8Array): void {
    if (this.#ended) {
      const what = this.#ended === 'PEER_LEFT' ? `peer ${this.id} has left` : 'the room was left';
      throw new PeerlaneError(this.#ended, `cannot send: ${what}`, { peerId: this.id });
    }
    if (this.link.state === 'failed') {
      throw new PeerlaneError(
        'PEER_UNREACHABLE',
        `cannot send: the connection to peer ${this.id} failed`,
        { peerId: this.id },
      );
    }
    this.link.send(text, bytes);
  }

  /** Closes the link for good; sending throws `ended` from now on. */
  end(ended: Ended): void {
    if (this.#ended) return;
    this.#ended = ended;
    this.link.close();
  }
}
