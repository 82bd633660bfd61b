import type {
  LeaveReason,
  PeerId,
  PeerInfo,
  PeerMeta,
  SignalData,
  WelcomeFrame,
} from '../signaling/protocol.js';
import { PeerMeta as PeerMetaSchema } from '../signaling/protocol.js';
import { EarlySignals } from './early-signals.js';
import { Emitter } from './emitter.js';
import { PeerlaneError } from './errors.js';
import { LocalMedia } from './media.js';
import type { MessageData } from './message-stream.js';
import { type RoomSettings, toRtcIceServers } from './options.js';
import { PeerTransport, resolveWebRtc } from './peer.js';
import { type ConnectionState, PeerLink } from './peer-link.js';
import { RelayHub } from './relay-lanes.js';
import {
  checkFileSource,
  encodeMessage,
  PeerHandle,
  type RemotePeer,
  type SendData,
} from './remote-peer.js';
import { type RoomFrame, SignalingClient, type SignalingState } from './signaling-client.js';
import type { IncomingFile } from './transfer/file-receiver.js';
import type { SendFileOptions } from './transfer/file-sender.js';
import type { FileSource } from './transfer/file-source.js';
import type { FileTransfer } from './transfer/file-transfer.js';
import { type DirectHooks, type TransportKind, TransportSwitch } from './transport-switch.js';

/**
 * Why a peer left: the server's reason (`left`, `disconnected`, `timeout`, `kicked`), or
 * `missing` when it was absent from the room after this peer's signaling reconnect. A peer
 * whose direct connection still works is reported `disconnected`, `timeout` or `missing`
 * only after `presenceGraceMs` without coming back.
 */
export type PeerLeftReason = LeaveReason | 'missing';

/** The signaling connection as a room reports it. */
export type RoomSignalingState = Exclude<SignalingState, 'connecting'>;

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
   * The direct connection to a peer changed state: `connecting` → `connected`, and
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
   * The signaling connection changed: `reconnecting` when it dropped (peer connections go
   * on meanwhile), `connected` when it is back, `closed` after `leave()` or when it gave up.
   */
  'signaling-state': (state: RoomSignalingState) => void;
  /** Something went wrong that the SDK could not hide; `error.code` says what. */
  error: (error: PeerlaneError) => void;
}

/** How long `leave()` waits for the server to confirm, in ms. */
const LEAVE_TIMEOUT_MS = 1000;

/**
 * A joined room: the other peers, a direct connection to each (a full mesh), and the
 * signaling connection that keeps presence and carries connection setup. Get one from
 * `joinRoom()`.
 */
export class Room extends Emitter<RoomEvents> {
  /** The room's name. */
  readonly name: string;
  /** This peer's audio and video: publish, mute, switch camera, share the screen. */
  readonly media = new LocalMedia();
  #selfId = '';
  readonly #peers = new Map<PeerId, PeerHandle>();
  /** Peers presence lost while our connection to them lives: reported left when the timer fires. */
  readonly #absent = new Map<
    PeerId,
    { timer: ReturnType<typeof setTimeout>; reason: PeerLeftReason }
  >();
  readonly #early = new EarlySignals();
  readonly #client: SignalingClient;
  readonly #relay: RelayHub;
  #iceServers: RTCIceServer[] = [];
  #leaving: Promise<void> | undefined;
  #closed = false;

  private constructor(private readonly settings: RoomSettings) {
    super();
    this.name = settings.room;
    this.#client = new SignalingClient(settings);
    this.#relay = new RelayHub(this.#client);
    this.#client.on('welcome', (welcome) => this.#onWelcome(welcome));
    this.#client.on('frame', (frame) => this.#onFrame(frame));
    this.#client.on('state', (state) => this.#onSignalingState(state));
    this.#client.on('error', (error) => this.emit('error', error));
  }

  /**
   * Joins and resolves once welcomed.
   * @internal Applications call `joinRoom()`.
   */
  static async open(settings: RoomSettings): Promise<Room> {
    const room = new Room(settings);
    await room.#client.start();
    return room;
  }

  /** This peer's id, given by the server; the same after a signaling reconnect. */
  get selfId(): PeerId {
    return this.#selfId;
  }

  /** The other peers in the room, in the order they were first seen. */
  get peers(): RemotePeer[] {
    return [...this.#peers.values()];
  }

  /** The signaling connection's state now. */
  get signalingState(): RoomSignalingState {
    const state = this.#client.state;
    return state === 'connecting' ? 'connected' : state;
  }

  /** The peer with this id, if it is in the room. */
  peer(id: PeerId): RemotePeer | undefined {
    return this.#peers.get(id);
  }

  /**
   * Sends one message to every peer in the room whose connection has not `failed`, with
   * the same guarantees as `peer.send()`.
   * @throws PeerlaneError `LEFT_ROOM`, `MESSAGE_TOO_LARGE` or `INVALID_ARGUMENT`.
   */
  broadcast(data: SendData): void {
    const { text, bytes } = encodeMessage(data, this.settings.maxMessageBytes);
    if (this.#closed) this.#throwLeft();
    for (const peer of this.#peers.values()) {
      if (peer.link.state !== 'failed') peer.sendEncoded(text, bytes, true);
    }
  }

  /**
   * Replaces this peer's presence metadata; the others get `peer-updated`. Sent now, or
   * once signaling is back (a reconnect carries the latest).
   * @throws PeerlaneError `INVALID_ARGUMENT` (not valid metadata: ≤ 16 primitive values,
   * ≤ 1 KiB of JSON) or `LEFT_ROOM`.
   */
  setMeta(meta: PeerMeta): void {
    const parsed = PeerMetaSchema.safeParse(meta);
    if (!parsed.success) {
      const problem = parsed.error.issues[0]?.message ?? 'not valid metadata';
      throw new PeerlaneError('INVALID_ARGUMENT', `setMeta(): ${problem}`);
    }
    if (this.#closed) {
      throw new PeerlaneError('LEFT_ROOM', 'cannot set metadata: the room was left');
    }
    // The signaling client reads the same settings when it rejoins after a reconnect.
    this.settings.meta = parsed.data;
    this.#client.send({ type: 'meta', meta: parsed.data });
  }

  /**
   * Sends a file to every peer in the room whose connection has not `failed`: one
   * transfer per peer (see `peer.sendFile()`), each reading the source on its own — so the
   * source must be readable more than once: a Blob/File, or in Node a path. (A stream can
   * be read only once, and feeding several peers from it would hold what the fastest
   * received and the slowest did not: send a stream with `peer.sendFile()`.)
   * @returns the transfers, one per peer (empty when the room has no other peer).
   * @throws PeerlaneError `LEFT_ROOM`, or `INVALID_ARGUMENT` (a stream, a bad option).
   */
  sendFile(source: Blob | string, options: SendFileOptions = {}): FileTransfer[] {
    checkFileSource(source, options);
    if (typeof source !== 'string' && !(source instanceof Blob)) {
      throw new PeerlaneError(
        'INVALID_ARGUMENT',
        'room.sendFile() takes a Blob or a path (a stream can be read once: use peer.sendFile())',
      );
    }
    if (this.#closed) this.#throwLeft();
    const transfers: FileTransfer[] = [];
    for (const peer of this.#peers.values()) {
      if (peer.link.state !== 'failed')
        transfers.push(peer.sendFile(source as FileSource, options));
    }
    return transfers;
  }

  /**
   * Leaves the room: tells the server (waiting up to 1 s for its confirmation, so the
   * others hear `peer-left` at once), then closes every connection. Always resolves, even
   * when the signaling connection is already gone. Calling it again returns the same promise.
   */
  leave(): Promise<void> {
    this.#leaving ??= (async () => {
      this.#closed = true;
      await this.#client.leave(LEAVE_TIMEOUT_MS);
      this.#closeAll();
    })();
    return this.#leaving;
  }

  #onWelcome(welcome: WelcomeFrame): void {
    this.#relay.setTerms(welcome.relay);
    this.#iceServers = this.settings.iceServers ?? toRtcIceServers(welcome.iceServers);
    if (!this.#selfId) {
      this.#selfId = welcome.peerId;
      for (const info of welcome.peers) this.#addPeer(info, false);
      return;
    }
    // After a reconnect the welcome's list is the truth; presence events of the gap are lost.
    const listed = new Set<PeerId>();
    for (const info of welcome.peers) {
      listed.add(info.id);
      const known = this.#peers.get(info.id);
      if (known) this.#present(known, info.meta);
      else this.#addPeer(info, true);
    }
    for (const peer of [...this.#peers.values()]) {
      if (!listed.has(peer.id)) this.#lost(peer, 'missing');
    }
  }

  #onFrame(frame: RoomFrame): void {
    if (frame.type === 'signal') {
      const peer = this.#peers.get(frame.from);
      if (peer) this.#signal(peer, frame.data);
      else this.#early.hold(frame.from, frame.data);
      return;
    }
    if (frame.type === 'peer-left') {
      const peer = this.#peers.get(frame.peerId);
      if (!peer) return;
      if (frame.reason === 'left' || frame.reason === 'kicked') this.#remove(peer, frame.reason);
      else this.#lost(peer, frame.reason);
      return;
    }
    const known = this.#peers.get(frame.peer.id);
    if (known) this.#present(known, frame.peer.meta);
    else if (frame.type === 'peer-joined') this.#addPeer(frame.peer, true);
  }

  #onSignalingState(state: SignalingState): void {
    if (state === 'connecting') return;
    if (state === 'connected') {
      for (const peer of this.#peers.values()) peer.link.signalingRestored();
    }
    if (state === 'closed') {
      // leave(), or the client gave up: either way this room is over.
      this.#closed = true;
      this.#closeAll();
    }
    this.emit('signaling-state', state);
  }

  #addPeer(info: PeerInfo, announce: boolean): void {
    const peer = new PeerHandle(
      info.id,
      info.meta,
      this.settings.maxMessageBytes,
      (handle) => this.#createLink(handle),
      {
        onIncoming: (incoming) => {
          if (this.listenerCount('incoming-file') === 0)
            incoming.reject('no incoming-file listener');
          else this.emit('incoming-file', incoming);
        },
        onError: (error) => this.emit('error', error),
      },
    );
    peer.identity = info.identity;
    peer.perms = info.perms;
    this.#peers.set(peer.id, peer);
    if (announce) this.emit('peer-joined', peer);
    for (const data of this.#early.take(peer.id)) this.#signal(peer, data);
  }

  #signal(peer: PeerHandle, data: SignalData): void {
    // An offer from a new RTCPeerConnection of the same peer (it gave up on the old one):
    // start afresh with it rather than feed it to the old connection.
    if (data.type === 'offer' && peer.link.isNewSession(data.sdp)) this.#replaceLink(peer);
    peer.link.signal(data);
  }

  #replaceLink(peer: PeerHandle): void {
    peer.link.close();
    peer.link = this.#createLink(peer);
    peer.files.attach(peer.link.bulk);
    this.emit('connection-state', peer, 'connecting');
  }

  /** A known peer is in presence (again): keep its connection, or retry a failed one. */
  #present(peer: PeerHandle, meta: PeerMeta): void {
    clearTimeout(this.#absent.get(peer.id)?.timer);
    this.#absent.delete(peer.id);
    if (JSON.stringify(meta) !== JSON.stringify(peer.meta)) {
      peer.meta = meta;
      this.emit('peer-updated', peer);
    }
    if (peer.link.state === 'failed') this.#replaceLink(peer);
  }

  /**
   * Presence lost a peer without it leaving on purpose. While the direct connection lives
   * (the server restarted, or the peer's signaling dropped) wait for it to come back.
   */
  #lost(peer: PeerHandle, reason: PeerLeftReason): void {
    const state = peer.link.state;
    if (state === 'failed' || state === 'closed') {
      this.#remove(peer, reason);
      return;
    }
    if (this.#absent.has(peer.id)) return;
    const timer = setTimeout(() => this.#remove(peer, reason), this.settings.presenceGraceMs);
    this.#absent.set(peer.id, { timer, reason });
  }

  #remove(peer: PeerHandle, reason: PeerLeftReason): void {
    if (this.#peers.get(peer.id) !== peer) return;
    clearTimeout(this.#absent.get(peer.id)?.timer);
    this.#absent.delete(peer.id);
    this.#peers.delete(peer.id);
    peer.end('PEER_LEFT');
    this.#relay.forget(peer.id);
    this.emit('peer-left', peer, reason);
  }

  #createLink(peer: PeerHandle): TransportSwitch {
    const { settings } = this;
    return new TransportSwitch({
      remoteId: peer.id,
      initiator: this.#selfId < peer.id,
      mode: settings.transport,
      maxMessageBytes: settings.maxMessageBytes,
      relayFallbackMs: settings.relayFallbackMs,
      directRetryMs: settings.directRetryMs,
      relay: () => this.#relay.peer(peer.id),
      createDirect: (hooks) => this.#createDirect(peer, hooks),
      onMessage: (data, broadcast) => {
        // The server cannot see peer-to-peer data, so the receivers enforce this permission.
        if (broadcast && peer.perms?.broadcast === false) {
          const message = `peer ${peer.id} may not broadcast (its room token); its message was dropped`;
          this.emit('error', new PeerlaneError('FORBIDDEN', message, { peerId: peer.id }));
          return;
        }
        this.emit('message', data, peer);
      },
      onState: (state) => this.#onLinkState(peer, state),
      onError: (error) => this.emit('error', error),
      onTransport: (transport) => {
        if (this.#peers.get(peer.id) === peer && transport)
          this.emit('transport-change', peer, transport);
      },
      onBulk: (lane) => peer.files.attach(lane),
    });
  }

  /** A direct WebRTC link to `peer` (a new RTCPeerConnection), for its transport switch. */
  #createDirect(
    peer: PeerHandle,
    hooks: DirectHooks,
  ): { link: PeerLink; transport: PeerTransport } {
    const { settings } = this;
    const initiator = this.#selfId < peer.id; // both sides agree: no glare
    const transport = new PeerTransport({
      initiator,
      iceServers: this.#iceServers,
      iceTransportPolicy: settings.iceTransportPolicy,
      wrtc: settings.wrtc ?? resolveWebRtc(undefined),
    });
    peer.media = this.media.attach(transport, {
      onStream: (stream) => this.emit('stream', stream, peer),
      onStreamEnded: (stream) => this.emit('stream-ended', stream, peer),
    });
    const link = new PeerLink({
      remoteId: peer.id,
      initiator,
      transport,
      maxMessageBytes: settings.maxMessageBytes,
      peerConnectTimeoutMs: settings.peerConnectTimeoutMs,
      iceRestartDelayMs: settings.iceRestartDelayMs,
      iceRestartTimeoutMs: settings.iceRestartTimeoutMs,
      iceServers: () => this.#iceServers,
      canSignal: () => this.#client.state === 'connected',
      sendSignal: (data) => this.#client.send({ type: 'signal', to: peer.id, data }),
      // The switch's stream delivers messages; this link only carries its frames.
      onMessage: () => {},
      ...hooks,
    });
    return { link, transport };
  }

  #onLinkState(peer: PeerHandle, state: ConnectionState): void {
    if (this.#peers.get(peer.id) !== peer) return;
    this.emit('connection-state', peer, state);
    // A peer we were waiting for whose connection has now failed is gone.
    const absent = this.#absent.get(peer.id);
    if (state === 'failed' && absent) this.#remove(peer, absent.reason);
  }

  #closeAll(): void {
    for (const { timer } of this.#absent.values()) clearTimeout(timer);
    this.#absent.clear();
    this.#early.clear();
    for (const peer of this.#peers.values()) peer.end('LEFT_ROOM');
    this.media.close();
    this.#relay.close();
    this.#client.close();
  }

  #throwLeft(): never {
    throw new PeerlaneError('LEFT_ROOM', 'cannot send: the room was left');
  }
}
