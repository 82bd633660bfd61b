import type { PeerId, PeerMeta, PeerPerms } from '../../signaling/protocol.js';
import type {
  ConnectionState,
  FileSource,
  FileTransfer,
  MediaState,
  PeerStats,
  RemotePeer,
  SendData,
  SendFileOptions,
  TransportKind,
} from '../api.js';
import { PeerlaneError } from '../errors.js';
import { relayStats } from '../link/direct/stats.js';
import type { Link } from '../link/link.js';
import { toBytes } from '../link/message-stream.js';
import { StreamSwitch } from '../media/stream-switch.js';
import { isNode } from '../runtime.js';
import type { IncomingTransfer } from '../transfer/file-receiver.js';
import { sourceKind } from '../transfer/file-source.js';
import { PeerTransfers } from '../transfer/peer-transfers.js';

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
  if (typeof data !== 'string' && isDetached(data instanceof ArrayBuffer ? data : data.buffer)) {
    throw new PeerlaneError(
      'INVALID_ARGUMENT',
      'send(): the ArrayBuffer was transferred (detached); its bytes are gone',
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

/**
 * Whether `buffer` was transferred away (`postMessage`, `structuredClone`): a view of it then
 * reads as empty, and a new view of it throws a TypeError.
 */
function isDetached(buffer: ArrayBufferLike | undefined): boolean {
  if (typeof buffer !== 'object' || buffer === null) return false;
  if ('detached' in buffer && typeof buffer.detached === 'boolean') return buffer.detached;
  try {
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/** Why a peer handle no longer sends: the peer left, or this room was left. */
type Ended = 'PEER_LEFT' | 'LEFT_ROOM';

/** The SDK's side of a {@link RemotePeer}: the room swaps its link and ends it. */
export class PeerHandle implements RemotePeer {
  #ended: Ended | null = null;
  /** The current link; the room replaces a failed one when the peer shows up again. */
  link: Link;
  /** File transfers with this peer; they outlive links (the room attaches each new one). */
  readonly files: PeerTransfers;
  /** The peer's media as the application sees it: from the direct route, or relayed. */
  readonly streams = new StreamSwitch();
  /** What the peer's room token lets it do (servers that check tokens); undefined otherwise. */
  perms: PeerPerms | undefined = undefined;
  /** Who the peer's room token says it is (servers that check tokens); undefined otherwise. */
  identity: string | undefined = undefined;

  constructor(
    readonly id: PeerId,
    public meta: PeerMeta,
    private readonly maxMessageBytes: number,
    private readonly createLink: (peer: PeerHandle) => Link,
    private readonly safety: (peer: PeerHandle) => Promise<string | undefined> | undefined,
    files: {
      onIncoming: (incoming: IncomingTransfer) => void;
      onError: (error: PeerlaneError) => void;
    },
  ) {
    this.link = createLink(this);
    this.files = new PeerTransfers({ peer: this, ...files });
    this.files.attach(this.link.bulk);
  }

  /** A new link in place of a failed one (the peer showed up again); transfers move to it. */
  replaceLink(): void {
    this.link.close();
    this.link = this.createLink(this);
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
    return this.#ended ? undefined : this.streams.current;
  }

  get media(): MediaState {
    return this.link.media;
  }

  async safetyNumber(): Promise<string | undefined> {
    return this.safety(this);
  }

  async getStats(): Promise<PeerStats> {
    if (!this.#ended && this.transport === 'relay') {
      return { ...relayStats(), ...this.link.relayMediaStats() };
    }
    const stats = this.#ended ? undefined : await this.link.direct?.stats();
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
