/**
 * The public `Room`: presence (who is in the room, reconciled after every welcome), the
 * routing of signals to each peer's link, and the room-wide sends. Links are made by
 * `link-factory.ts`; each peer's side is `remote-peer.ts`. Over 300 lines only because
 * every public method carries its documentation here.
 */
import type { PeerId, PeerInfo, PeerMeta, WelcomeFrame } from '../../signaling/protocol.js';
import { PeerMeta as PeerMetaSchema } from '../../signaling/protocol.js';
import type {
  FileSource,
  FileTransfer,
  PeerLeftReason,
  RemotePeer,
  RoomEvents,
  RoomSignalingState,
  SendData,
  SendFileOptions,
} from '../api.js';
import {
  type RoomFrame,
  SignalingClient,
  type SignalingState,
} from '../client/signaling-client.js';
import { RoomKeys } from '../e2ee/room-keys.js';
import { Emitter } from '../emitter.js';
import { PeerlaneError } from '../errors.js';
import { Relay } from '../link/relay/relay.js';
import { LocalMedia } from '../media/local-media.js';
import { type RoomSettings, toRtcIceServers } from '../options.js';
import { EarlySignals } from './early-signals.js';
import { type LinkEvents, LinkFactory } from './link-factory.js';
import { checkFileSource, encodeMessage, PeerHandle } from './remote-peer.js';

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
  readonly #relay: Relay;
  readonly #links: LinkFactory;
  #iceServers: RTCIceServer[] = [];
  #leaving: Promise<void> | undefined;
  #closed = false;

  private constructor(
    private readonly settings: RoomSettings,
    keys: RoomKeys | undefined,
  ) {
    super();
    this.name = settings.room;
    this.#client = new SignalingClient(settings);
    this.#relay = new Relay(this.#client);
    this.#links = new LinkFactory({
      settings,
      selfId: () => this.#selfId,
      iceServers: () => this.#iceServers,
      signaling: this.#client,
      relay: this.#relay,
      media: this.media,
      events: this.#linkEvents(),
      keys,
    });
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
    const { e2ee } = settings;
    const keys = e2ee ? await RoomKeys.derive(e2ee.secret, settings.room) : undefined;
    const room = new Room(settings, keys);
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
    this.#client.setMeta(parsed.data);
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
    if (!welcome.resumed) {
      // A new session (the server restarted, or forgot us): what was relayed in flight
      // either way is lost (the relay's routes started again with the session: `relay.ts`).
      for (const peer of this.#peers.values()) peer.files.resync();
    } else {
      // A resumed session: what the last socket had on the way when it died is lost with
      // it, relayed file chunks and their acks too. A transfer waiting for them would wait
      // for good (nothing after them tells the receiver of the gap, or the sender of acks).
      for (const peer of this.#peers.values()) {
        if (peer.link.bulkOnRelay) peer.files.resync();
      }
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
    // Left (or leaving: waiting for the server's `left`): no more presence, signals or links.
    if (this.#closed) return;
    if (frame.type === 'signal') {
      const peer = this.#peers.get(frame.from);
      if (!peer) {
        this.#early.hold(frame.from, frame.data);
        return;
      }
      // The peer tries again (it saw us in presence after its connection failed too): an
      // offer can only be for a new connection, so answer it from a new link as well —
      // unless the peer was refused (e2ee): its offers would be refused again.
      const failed = peer.link.state === 'failed' && !peer.link.refused;
      if (frame.data.type === 'offer' && failed) this.#retry(peer);
      this.#links.signal(peer, frame.data);
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
    if (known && frame.type === 'peer-joined') {
      // Joined afresh (beyond the grace period, or on a restarted server): the relay holds
      // nothing of the pair any more.
      this.#relay.restart(known.id);
      known.files.resync();
    }
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
      (handle) => this.#links.create(handle),
      (handle) => this.#links.safetyNumber(handle),
      {
        onIncoming: (incoming) => {
          if (this.listenerCount('incoming-file') === 0)
            incoming.reject('no incoming-file listener');
          else this.emit('incoming-file', incoming);
        },
        onError: (error) => this.emit('error', error),
      },
    );
    peer.streams
      .on('stream', (stream) => this.emit('stream', stream, peer))
      .on('ended', (stream) => this.emit('stream-ended', stream, peer));
    peer.identity = info.identity;
    peer.perms = info.perms;
    this.#peers.set(peer.id, peer);
    // It may have relayed to us already (a route is made on first use), before a new session.
    this.#relay.release(peer.id);
    if (announce) this.emit('peer-joined', peer);
    for (const data of this.#early.take(peer.id)) this.#links.signal(peer, data);
  }

  /** A known peer is in presence (again): keep its connection, or retry a failed one. */
  #present(peer: PeerHandle, meta: PeerMeta): void {
    clearTimeout(this.#absent.get(peer.id)?.timer);
    this.#absent.delete(peer.id);
    this.#relay.release(peer.id);
    if (JSON.stringify(meta) !== JSON.stringify(peer.meta)) {
      peer.meta = meta;
      this.emit('peer-updated', peer);
    }
    if (peer.link.state === 'failed') this.#retry(peer);
  }

  /** Tries a failed peer again, on a new link. */
  #retry(peer: PeerHandle): void {
    peer.replaceLink();
    this.emit('connection-state', peer, 'connecting');
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
    this.#relay.hold(peer.id);
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
    this.#links.forget(peer.id);
    this.emit('peer-left', peer, reason);
  }

  /** What the links report, as the room's events. */
  #linkEvents(): LinkEvents {
    const current = (peer: PeerHandle) => this.#peers.get(peer.id) === peer;
    return {
      message: (peer, data, broadcast) => {
        // The server cannot see peer-to-peer data, so the receivers enforce this permission.
        if (broadcast && peer.perms?.broadcast === false) {
          const message = `peer ${peer.id} may not broadcast (its room token); its message was dropped`;
          this.emit('error', new PeerlaneError('FORBIDDEN', message, { peerId: peer.id }));
          return;
        }
        this.emit('message', data, peer);
      },
      state: (peer, state) => {
        if (!current(peer)) return;
        this.emit('connection-state', peer, state);
        // A peer we were waiting for whose connection has now failed is gone.
        const absent = this.#absent.get(peer.id);
        if (state === 'failed' && absent) this.#remove(peer, absent.reason);
      },
      transport: (peer, transport) => {
        if (current(peer)) this.emit('transport-change', peer, transport);
      },
      media: (peer, media) => {
        if (current(peer)) this.emit('media-change', peer, media);
      },
      error: (error) => this.emit('error', error),
    };
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
