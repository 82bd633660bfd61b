/**
 * The SDK's public types — rooms' events, remote peers, file transfers, statistics — in
 * one file that imports no implementation, so every layer can name them without import
 * cycles. Mostly documentation: over 300 lines for that reason alone. `JoinRoomOptions`
 * lives with its defaults in `options.ts`; the `Room` class in `room/room.ts`.
 */
import type { LeaveReason, PeerId, PeerMeta, PeerPerms } from '../signaling/protocol.js';
import type { PeerlaneError } from './errors.js';

/**
 * The state of the link to one remote peer, whatever carries it (see {@link TransportKind}):
 * - `connecting`: no route is up yet (messages sent now are queued);
 * - `connected`: messages flow, directly or through the relay;
 * - `reconnecting`: the route in use broke — the direct connection is being restored (an
 *   ICE restart) with no relay to carry on meanwhile, or the peer has been silent on the
 *   relay too (its network may be gone; the server's presence decides, see `peer-left`);
 *   messages are queued;
 * - `failed`: it could not be made or restored in time (an `error` with code
 *   `PEER_UNREACHABLE` says so); queued messages were dropped and sending throws;
 * - `closed`: the peer left, or this room was left.
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

/**
 * What carries a peer's messages and files now: `direct` (a WebRTC connection between the
 * two machines, through NAT or not), `turn` (WebRTC through a TURN server), or `relay`
 * (the signaling server's WebSocket relay).
 */
export type TransportKind = 'direct' | 'turn' | 'relay';

/** `auto`: direct WebRTC, the relay when that fails; `relay`: the relay only. */
export type TransportMode = 'auto' | 'relay';

/**
 * Whether audio and video can reach a remote peer now, and if not, why:
 * - `connecting`: the connection that carries media is being made or restored (or, on the
 *   relay, the peer has not yet said it can play relayed media);
 * - `available`: media flows: what either side publishes reaches the other (a `stream`
 *   event brings the peer's media once it sends any). `route` says how: `direct`, a WebRTC
 *   connection (possibly through TURN); or `relay`, the signaling server's WebSocket
 *   relay: each side encodes its tracks with WebCodecs (VP8, Opus) and the other decodes
 *   them into a normal MediaStream — more delay than WebRTC, and the bitrate follows what
 *   the relay carries;
 * - `unavailable`: no route carries media to the peer now; `reason` says why and
 *   `message` says it in words an application may show:
 *   - `NO_DIRECT_PATH`: no WebRTC connection could be made and no relay carries media
 *     either; the SDK keeps trying every `directRetryMs`;
 *   - `NO_WEBCODECS`: the peer is reached through the relay, but this runtime or the
 *     peer's has no WebCodecs (Node, older browsers) to carry media there;
 *   - `RELAY_MEDIA_OFF`: the peer is reached through the relay, and the server's operator
 *     switched relayed media off (`relayMedia: false`).
 */
export type MediaState =
  | { readonly state: 'connecting' }
  | { readonly state: 'available'; readonly route: 'direct' | 'relay' }
  | {
      readonly state: 'unavailable';
      readonly reason: MediaUnavailableReason;
      readonly message: string;
    };

/** Why media cannot reach a peer now (see {@link MediaState}). */
export type MediaUnavailableReason = 'NO_DIRECT_PATH' | 'NO_WEBCODECS' | 'RELAY_MEDIA_OFF';

/** What an application sends and receives: a string stays a string, bytes arrive as bytes. */
export type MessageData = string | Uint8Array;

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
  /** The state of the link to it, whatever carries it (see {@link ConnectionState}). */
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
   * Whether audio and video can reach this peer now, and why not (see {@link MediaState});
   * the room's `media-change` event tells when it changes.
   */
  readonly media: MediaState;
  /**
   * With `e2ee`: a 12-digit code computed from the room secret, both peer ids and the DTLS
   * fingerprints of the handshake, alike on both sides; two people who read the same code
   * to each other (out of band) know no one sits between them. Undefined without `e2ee`,
   * and until the handshake is done both ways (with `transport: 'relay'`, from the ids
   * alone); a new connection (a retry) brings a new code.
   */
  safetyNumber(): Promise<string | undefined>;
  /**
   * A snapshot of the connection to this peer: which path it takes (`host`, `srflx`,
   * `relay`), round-trip time, bitrates over the last ≥ 0.5 s, RTP counters per kind —
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

/**
 * Why a peer left: the server's reason (`left`, `disconnected`, `timeout`, `kicked`), or
 * `missing` when it was absent from the room after this peer's signaling reconnect. A peer
 * whose direct connection still works is reported `disconnected`, `timeout` or `missing`
 * only after `presenceGraceMs` without coming back.
 */
export type PeerLeftReason = LeaveReason | 'missing';

/** The signaling connection as a room reports it. */
export type RoomSignalingState = 'connected' | 'reconnecting' | 'closed';

/** Every event of a {@link Room}, with its listener's signature. */
export interface RoomEvents {
  /** A peer entered the room. Peers already there at join are in `room.peers` instead. */
  'peer-joined': (peer: RemotePeer) => void;
  /** A peer left; its connection is closed and sending to it throws `PEER_LEFT`. */
  'peer-left': (peer: RemotePeer, reason: PeerLeftReason) => void;
  /** A peer changed its metadata (`peer.meta` has the new value). */
  'peer-updated': (peer: RemotePeer) => void;
  /** A message from a peer: a string if it sent a string, a Uint8Array if it sent bytes. */
  message: (data: MessageData, peer: RemotePeer) => void;
  /**
   * A peer offers a file: call `incoming.accept()` (into a Blob), `accept({ writable })`
   * or `reject()`, now or later. With no listener at all, offers are rejected.
   */
  'incoming-file': (incoming: IncomingFile) => void;
  /**
   * A peer's audio/video arrived, or its tracks changed (a kind added or removed): the
   * same MediaStream each time, until `stream-ended`. Assign it to a media element's
   * `srcObject` each time. Muting does not change the tracks: the peer sends nothing.
   */
  stream: (stream: MediaStream, peer: RemotePeer) => void;
  /**
   * A peer's media ended: it unpublished, left, or the connection closed or was replaced.
   * A later publish comes as a new `stream`.
   */
  'stream-ended': (stream: MediaStream, peer: RemotePeer) => void;
  /**
   * The link to a peer changed state: `connecting` → `connected`, and
   * `reconnecting` → `connected` or `failed` when it breaks. (`closed` comes with
   * `peer-left` or `leave()` and has no event of its own.)
   */
  'connection-state': (peer: RemotePeer, state: ConnectionState) => void;
  /**
   * What carries a peer's messages and files changed (`peer.transport` has the new value):
   * `direct`, `turn` (WebRTC through a TURN server) or `relay` (the signaling server's
   * WebSocket relay, after the direct connection failed or with `transport: 'relay'`).
   */
  'transport-change': (peer: RemotePeer, transport: TransportKind) => void;
  /**
   * Whether audio and video can reach a peer changed (`peer.media` has the new value), e.g.
   * `unavailable` with reason `NO_DIRECT_PATH` when only the relay reaches it: the moment
   * to tell the user why there is no video.
   */
  'media-change': (peer: RemotePeer, media: MediaState) => void;

  /**
   * The signaling connection changed: `reconnecting` when it dropped (peer connections go
   * on meanwhile), `connected` when it is back, `closed` after `leave()` or when it gave up.
   */
  'signaling-state': (state: RoomSignalingState) => void;
  /** Something went wrong that the SDK could not hide; `error.code` says what. */
  error: (error: PeerlaneError) => void;
}

/**
 * Which network path the WebRTC connection takes, from the selected candidate pair:
 * - `host`: straight between the two machines' own addresses (LAN, loopback), also when
 *   one end was first seen as peer-reflexive (a connectivity check outran its candidate);
 * - `srflx`: through NAT, found with STUN (server-reflexive candidates, or peer-reflexive
 *   ones that are no address of the peer's own and no relay);
 * - `turn`: through a TURN server (WebRTC's "relay" candidates — not the server's relay);
 * - `unknown`: no pair selected yet (still connecting, or reconnecting).
 */
export type PairType = 'host' | 'srflx' | 'turn' | 'unknown';

/**
 * `PairType` as 0.1 spelled it, with `relay` for TURN.
 * @deprecated Use {@link PairType} (`stats.pairType`), whose `turn` cannot be confused with
 * the server's relay. Removed in 0.3.
 */
export type CandidatePath = 'host' | 'srflx' | 'relay' | 'unknown';

/**
 * What the numbers describe: `webrtc`, the RTCPeerConnection to the peer (its path is
 * `pairType`); or `relay`, when the peer is reached through the signaling server's WebSocket
 * relay (`peer.transport === 'relay'`): there is no ICE path, RTT or RTP then, only the
 * fact. Code that switches on it should treat any value but `webrtc` as "not WebRTC".
 */
export type StatsTransport = 'webrtc' | 'relay';

/** RTP counters of one media kind in one direction. */
export interface RtpCounts {
  packets: number;
  bytes: number;
  /** Inbound: packets that never arrived (RTP sequence gaps), so far. Undefined outbound. */
  packetsLost: number | undefined;
  /** Video: frames decoded (inbound) or sent (outbound). Undefined for audio. */
  frames: number | undefined;
  /** Video: the resolution of the last frame, when known. */
  frameWidth: number | undefined;
  frameHeight: number | undefined;
}

/** A snapshot of one peer connection, as `peer.getStats()` returns it. */
export interface PeerStats {
  /** When the snapshot was taken (ms, the browser's stats clock). */
  timestamp: number;
  transport: StatsTransport;
  /** The network path of the connection (see {@link PairType}). */
  pairType: PairType;
  /**
   * The same as `pairType`, but `relay` for TURN.
   * @deprecated Use `pairType`; removed in 0.3.
   */
  path: CandidatePath;
  /** Candidate types of the selected pair, as WebRTC names them (`host`, `srflx`, `prflx`, `relay`). */
  localCandidateType: string | undefined;
  remoteCandidateType: string | undefined;
  /** For `turn`: how this side reaches the TURN server (`udp`, `tcp`, `tls`). */
  relayProtocol: string | undefined;
  /** Current round-trip time of the selected pair, in ms (STUN consent checks). */
  rttMs: number | undefined;
  /**
   * Incoming and outgoing bitrate of everything on the connection (data and media), in
   * kbit/s, between the last two `getStats()` calls of this peer at least 0.5 s apart
   * (calls closer than that, from any caller, answer the same rate); undefined until
   * there are two.
   */
  bitrateInKbps: number | undefined;
  bitrateOutKbps: number | undefined;
  /** Bytes received and sent on the connection so far. */
  bytesReceived: number;
  bytesSent: number;
  /** What arrives from the peer, per kind (absent: nothing of that kind is negotiated). */
  inbound: { audio?: RtpCounts; video?: RtpCounts };
  /** What is sent to the peer, per kind. */
  outbound: { audio?: RtpCounts; video?: RtpCounts };
}

/**
 * Where a transfer is:
 * - `offered`: waiting for the receiver to accept (on the receiver: for the app to decide);
 * - `transferring`: bytes are flowing;
 * - `paused`: the connection to the peer is down; it resumes from the last confirmed
 *   offset when the connection (or a new one) is back;
 * - `verifying`: every byte arrived; the receiver is checking the SHA-256;
 * - `complete`: the receiver verified the file (`done` has resolved);
 * - `failed`: cancelled, rejected or broken (`done` has rejected with the code).
 */
export type TransferState =
  | 'offered'
  | 'transferring'
  | 'paused'
  | 'verifying'
  | 'complete'
  | 'failed';

/** How far a transfer is. The same fields on both sides. */
export interface TransferProgress {
  /** Bytes sent (on the sender) or received (on the receiver) so far. */
  bytesTransferred: number;
  /** Bytes the receiver has written to its sink and confirmed to the sender. */
  bytesConfirmed: number;
  /** The file's size in bytes, or undefined while unknown (a stream sent without `size`). */
  size: number | undefined;
  /** Confirmed bytes per second over the last few seconds (0 until measured). */
  bytesPerSecond: number;
  /** Estimated ms until every byte is confirmed; undefined when size or rate is unknown. */
  etaMs: number | undefined;
}

/** Every event of a {@link FileTransfer}, with its listener's signature. */
export interface FileTransferEvents {
  /** Progress, at most every 100 ms while bytes flow, and once more at the end. */
  progress: (progress: TransferProgress) => void;
  /** The transfer moved to another {@link TransferState}. */
  state: (state: TransferState) => void;
}

/**
 * One file transfer, as `peer.sendFile()` returns it (`Result` is void) or as
 * `incoming.accept()` returns it (`Result` is the Blob, or void with a `writable`).
 */
export interface FileTransfer<Result = void> {
  /** `send` on the sender, `receive` on the receiver. */
  readonly direction: 'send' | 'receive';
  /** The other side of the transfer. */
  readonly peer: RemotePeer;
  /** The file's name, as the sender gave it. */
  readonly name: string;
  /** The file's size in bytes, or undefined while unknown. */
  readonly size: number | undefined;
  /** The file's MIME type, as the sender gave it ('' when none). */
  readonly type: string;
  /** Where the transfer is now. */
  readonly state: TransferState;
  /** The progress now (a fresh object each time). */
  readonly progress: TransferProgress;
  /**
   * Resolves once the receiver has written every byte and found the SHA-256 equal to the
   * sender's: with the Blob (receiver, `accept()`), or with nothing. Rejects with a
   * PeerlaneError: `TRANSFER_CANCELLED`, `TRANSFER_REJECTED`, `INTEGRITY_FAILED`,
   * `SOURCE_UNREADABLE`, `SINK_UNWRITABLE`, `TRANSFER_FAILED`, `PEER_LEFT` or `LEFT_ROOM`.
   * An unobserved rejection is not reported as unhandled.
   */
  readonly done: Promise<Result>;
  /**
   * Stops the transfer on both sides: `done` rejects with `TRANSFER_CANCELLED` here and
   * there, and a receiver's WritableStream is aborted. Does nothing once it is over. The
   * peer gets at most 500 characters of `reason` (default `'cancelled'`).
   */
  cancel(reason?: string): void;
  /** Calls `listener` on each `event`. */
  on<K extends keyof FileTransferEvents>(event: K, listener: FileTransferEvents[K]): this;
  /** Removes a listener added with `on`. */
  off<K extends keyof FileTransferEvents>(event: K, listener: FileTransferEvents[K]): this;
}

/** Options of `incoming.accept()`. */
export interface AcceptOptions {
  /**
   * Where to write the file, with back-pressure (each chunk waits for the previous write):
   * a File System Access `FileSystemWritableFileStream`, `Writable.toWeb(fs.createWriteStream(path))`
   * in Node… It is closed once the SHA-256 matched, and aborted if the transfer fails.
   * @default none: the file is collected into a Blob, which `done` resolves with
   */
  writable?: WritableStream<Uint8Array>;
  /**
   * Credit: bytes the sender may send beyond what this side has written. Bounds the
   * memory a transfer holds here (and on the sender). At least 65523. @default 4194304 (4 MiB)
   */
  windowBytes?: number;
}

/** A file a peer offers, as the room's `incoming-file` event gives it. Accept or reject it. */
export interface IncomingFile {
  /** The sender. */
  readonly from: RemotePeer;
  /** The file's name, as the sender gave it (untrusted: sanitize before using it as a path). */
  readonly name: string;
  /** Its size in bytes, or undefined when the sender streams it without a known size. */
  readonly size: number | undefined;
  /** Its MIME type, as the sender gave it ('' when none). */
  readonly type: string;
  /** Receives the file into a Blob: `done` resolves with it once verified. */
  accept(): FileTransfer<Blob>;
  /** Receives the file into `options.writable`; `done` resolves once verified and closed. */
  accept(
    options: AcceptOptions & { writable: WritableStream<Uint8Array> },
  ): FileTransfer<undefined>;
  accept(options: AcceptOptions): FileTransfer<Blob | undefined>;
  /**
   * Declines the file: the sender's `done` rejects with `TRANSFER_REJECTED`, with at most
   * 500 characters of `reason` (default none).
   */
  reject(reason?: string): void;
}

/** Options of `peer.sendFile()` and `room.sendFile()`. */
export interface SendFileOptions {
  /** The name the receiver sees. @default the File's name, the path's base name, or 'file' */
  name?: string;
  /** The MIME type the receiver sees. @default the Blob's type, or '' */
  type?: string;
  /**
   * The size in bytes of a stream source, shown to the receiver up front (a Blob's or a
   * path's is known). The stream must then give exactly this many bytes, or the transfer
   * fails with `SOURCE_UNREADABLE`. @default unknown until the end (`incoming.size` is undefined)
   */
  size?: number;
}

/**
 * What a file can be sent from: a `Blob` or `File`, a web `ReadableStream` of bytes, any
 * async iterable of bytes (a Node `Readable`, an async generator), or, in Node, a path.
 */
export type FileSource = Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | string;
