import type { PeerId, PeerMeta, PeerPerms } from '../signaling/protocol.js';
import { PeerlaneError } from './errors.js';
import type { LinkMedia } from './link-media.js';
import { toBytes } from './message-stream.js';
import type { ConnectionState } from './peer-link.js';
import { isNode } from './runtime.js';
import { type PeerStats, relayStats } from './stats.js';
import type { IncomingTransfer } from './transfer/file-receiver.js';
import type { SendFileOptions } from './transfer/file-sender.js';
import { type FileSource, sourceKind } from './transfer/file-source.js';
import type { FileTransfer } from './transfer/file-transfer.js';
import { TransferHub } from './transfer/transfer-hub.js';
import type { TransportKind, TransportSwitch } from './transport-switch.js';

/** What `send()` and `broadcast()` accept. A string arrives as a string, bytes as a Uint8Array. */
export type SendData = string | Uint8Array | ArrayBuffer;

/** Another peer in the room, as `room.peers`, `room.peer(id)` and every event give it. */
export interface RemotePeer {
  /** The peer's id, stable for as long as it stays in the room (across reconnects too). */
  readonly id: PeerId;
  /** Its presence metadata, as it last set it. */
  readonly meta: PeerMeta;
  /** Who its room token says it is; undefined unless the server checks tokens. */
  readonly identity: string | undefined;
  /**
   * What its room token lets it do; undefined unless the server checks tokens. Broadcasts
   * from a peer without `broadcast` are dropped here with a `FORBIDDEN` error.
   */
  readonly perms: PeerPerms | undefined;
  /** The state of the direct connection to it (see {@link ConnectionState}). */
  readonly state: ConnectionState;
  /**
   * What carries messages and files to this peer now: `direct`, `turn` (WebRTC through a
   * TURN server) or `relay` (the signaling server's WebSocket relay); undefined while
   * connecting and after it left. The room's `transport-change` event tells when it changes.
   */
  readonly transport: TransportKind | undefined;

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
   * `relay`), round-trip time, bitrates since the previous call, RTP counters per kind —
   * or, while the peer is reached through the server's relay, `transport: 'relay'`.
   * @throws PeerlaneError (as a rejection) `PEER_LEFT`, `LEFT_ROOM`, or `PEER_UNREACHABLE`
   * when there is no connection to measure.
   */
  getStats(): Promise<PeerStats>;
  /**
   * Sends a file to this peer on its own data channel (chat is never held up by it), in
   * chunks, with back-pressure end to end: the source is read only as fast as the receiver
   * writes. The receiver gets a room `incoming-file` event and accepts or rejects; `done`
   * resolves once it has the whole file and its SHA-256 matches. If the connection drops,
   * the transfer pauses and resumes from the last byte the receiver confirmed.
   *
   * @param source a Blob or File, a web ReadableStream of bytes, an async iterable of bytes
   * (a Node Readable), or in Node a file path.
   * @throws PeerlaneError `INVALID_ARGUMENT` (not a source, a path outside Node, a bad
   * option), `PEER_LEFT`, `LEFT_ROOM` or `PEER_UNREACHABLE`, as for `send()`. Failures
   * after the start (`SOURCE_UNREADABLE`, `TRANSFER_REJECTED`…) reject `done` instead.
   */
  sendFile(source: FileSource, options?: SendFileOptions): FileTransfer;
}

/** Checks a `sendFile()` source and its options. @throws PeerlaneError `INVALID_ARGUMENT` */
export function checkFileSource(source: FileSource, options: SendFileOptions): void {
  const kind = sourceKind(source);
  if (!kind) {
    throw new PeerlaneError(
      'INVALID_ARGUMENT',
      'sendFile() takes a Blob, a ReadableStream, an async iterable of bytes or (in Node) a path',
    );
  }
  if (kind === 'path' && !isNode()) {
    throw new PeerlaneError('INVALID_ARGUMENT', 'sendFile(): a path can be sent only from Node');
  }
  if (typeof options !== 'object' || options === null) {
    throw new PeerlaneError('INVALID_ARGUMENT', 'sendFile(): options must be an object');
  }
  const { name, type, size } = options;
  if (name !== undefined && (typeof name !== 'string' || name.length > 1024)) {
    throw new PeerlaneError(
      'INVALID_ARGUMENT',
      'sendFile(): name must be a string of at most 1024 characters',
    );
  }
  if (type !== undefined && (typeof type !== 'string' || type.length > 256)) {
    throw new PeerlaneError(
      'INVALID_ARGUMENT',
      'sendFile(): type must be a string of at most 256 characters',
    );
  }
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
    throw new PeerlaneError(
      'INVALID_ARGUMENT',
      `sendFile(): size must be a non-negative integer (got ${String(size)})`,
    );
  }
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
  link: TransportSwitch;
  /** File transfers with this peer; they outlive links (the room attaches each new one). */
  readonly files: TransferHub;
  /** The media side of the current link; the room sets it with each link. */
  media: LinkMedia | undefined = undefined;

  /** What the peer's room token lets it do (servers that check tokens); undefined otherwise. */
  perms: PeerPerms | undefined = undefined;
  /** Who the peer's room token says it is (servers that check tokens); undefined otherwise. */
  identity: string | undefined = undefined;

  constructor(
    readonly id: PeerId,
    public meta: PeerMeta,
    private readonly maxMessageBytes: number,
    createLink: (peer: PeerHandle) => TransportSwitch,
    files: {
      onIncoming: (incoming: IncomingTransfer) => void;
      onError: (error: PeerlaneError) => void;
    },
  ) {
    this.link = createLink(this);
    this.files = new TransferHub({ peer: this, ...files });
    this.files.attach(this.link.bulk);
  }

  get transport(): TransportKind | undefined {
    return this.#ended ? undefined : this.link.transport;
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
    if (!this.#ended && this.transport === 'relay') return relayStats();
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
  sendEncoded(text: boolean, bytes: Uint8Array, broadcast = false): void {
    this.#checkOpen();
    this.link.send(text, bytes, broadcast);
  }

  sendFile(source: FileSource, options: SendFileOptions = {}): FileTransfer {
    checkFileSource(source, options);
    this.#checkOpen();
    return this.files.send(source, options);
  }

  /** Throws when nothing can be sent to the peer: it left, the room was left, or the link failed. */
  #checkOpen(): void {
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
  }

  /** Closes the link for good; sending throws `ended` from now on. */
  end(ended: Ended): void {
    if (this.#ended) return;
    this.#ended = ended;
    this.files.end(ended);
    this.link.close();
  }
}
