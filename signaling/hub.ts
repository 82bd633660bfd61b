import type { Grant } from './auth.js';
import type { FrameRejection } from './frames.js';
import { createPeerIdentity, verifyPeerIdentity } from './ids.js';
import type { ResolvedOptions } from './options.js';
import {
  type JoinFrame,
  type LeaveReason,
  type PeerId,
  type PeerMeta,
  PROTOCOL_VERSION,
  RELAY_HEADER_BYTES,
  type RelayCreditFrame,
  type RoomName,
  type ServerFrame,
  type SignalFrame,
} from './protocol.js';
import { Relay } from './relay.js';
import {
  type MemberRecord,
  peerInfo,
  type RoomEvent,
  type RoomSnapshot,
  type RoomStore,
  type StoreListener,
} from './room-store.js';
import { RoomView } from './room-view.js';
import { sendsMedia } from './sdp.js';
import { TokenBucket } from './token-bucket.js';
import { turnCredentials } from './turn.js';

/** What the hub needs of a connection: a way to send it frames, and to retire it. */
export interface Session {
  /** Sends a JSON text frame, or a binary relay frame. */
  send(data: string | Buffer): void;
  /** Another connection resumed this session's peer: close quietly, announce nothing. */
  retire(): void;
}

/** A peer whose connection is (or was, within the grace period) on this node. */
export interface LocalPeer {
  record: MemberRecord;
  session: Session | null;
  /** Events up to this sequence were in the peer's welcome; it gets only later ones. */
  sinceSeq: number;
  /** Frames held while the peer joins or reconnects, delivered when it is back. */
  pending: (string | Buffer)[] | undefined;
  grace?: NodeJS.Timeout;
}

type HubOptions = Pick<
  ResolvedOptions,
  | 'maxRooms'
  | 'maxPeersPerRoom'
  | 'resumeGraceMs'
  | 'maxPendingSignals'
  | 'iceServers'
  | 'turn'
  | 'relay'
  | 'relayWindow'
  | 'relayRoomRateLimit'
  | 'maxPayload'
>;

type JoinResult = LocalPeer | FrameRejection;

/** Shared by every peer without metadata (records are replaced, never mutated). */
const NO_META: PeerMeta = Object.freeze({});

/**
 * Rooms, presence and signal routing for the peers connected to this node. Membership
 * and limits live in the {@link RoomStore} (this process, or Redis shared by many
 * nodes); the hub keeps a {@link RoomView} of each room it has members in, turns room
 * events into frames for its peers, holds reconnecting peers for the grace period and
 * routes signals only within a room.
 */
export class Hub implements StoreListener {
  readonly #peers = new Map<PeerId, LocalPeer>();
  readonly #views = new Map<RoomName, RoomView>();
  readonly #relay: Relay | undefined;
  #closed = false;

  constructor(
    private readonly options: HubOptions,
    private readonly store: RoomStore,
    /** Called with the payload bytes of every relayed frame. */
    onRelayed: (bytes: number) => void = () => {},
  ) {
    if (!options.relay) return;
    const settings = {
      window: options.relayWindow,
      maxChunk: options.maxPayload - RELAY_HEADER_BYTES,
    };
    this.#relay = new Relay(settings, {
      member: (room, id) => this.#views.get(room)?.members.get(id),
      deliverLocal: (id, data) => this.#deliverLocal(id, data),
      sendText: (record, text) => {
        if (record.node === store.nodeId) this.#deliverLocal(record.id, text);
        else store.send(record.node, record.id, text);
      },
      sendRelay: (node, to, frame) => store.sendRelay(node, to, frame),
      counted: onRelayed,
      roomOf: (id) => this.#peers.get(id)?.record.room,
    });
  }

  /**
   * A relay frame from a peer on this node: answers a refusal, or how many ms the
   * sender's connection should pause for its room to stay within its relay rate.
   */
  relay(peer: LocalPeer, frame: Buffer): FrameRejection | number {
    if (!this.#relay || peer.record.perms?.relay === false) {
      return {
        code: 'RELAY_DISABLED',
        message: 'the relay is off here, or your room token does not allow it',
      };
    }
    const refusal = this.#relay.fromClient(peer.record, frame);
    if (refusal) return refusal;
    const view = this.#views.get(peer.record.room);
    if (!view) return 0;
    const limit = this.options.relayRoomRateLimit;
    view.relayRate ??= new TokenBucket(limit, limit);
    return view.relayRate.consume(frame.length);
  }

  /** A receiver on this node grants a sender more relay credit. */
  relayCredit(peer: LocalPeer, frame: RelayCreditFrame): FrameRejection | undefined {
    if (!this.#relay || peer.record.perms?.relay === false) {
      return {
        code: 'RELAY_DISABLED',
        message: 'the relay is off here, or your room token does not allow it',
      };
    }
    return this.#relay.credit(peer.record, frame.to, frame.bytes);
  }

  /** Peers on this node, and rooms they are in. */
  get peerCount(): number {
    return this.#peers.size;
  }

  get roomCount(): number {
    return this.#views.size;
  }

  /**
   * Puts `session` in the frame's room, resuming its peer id when it proves ownership.
   * `grant` is what the verified room token allows, when the server checks tokens.
   */
  join(session: Session, frame: JoinFrame, grant?: Grant): JoinResult | Promise<JoinResult> {
    if (frame.v !== undefined && frame.v !== PROTOCOL_VERSION) {
      return {
        code: 'UNSUPPORTED_VERSION',
        message: `protocol version ${frame.v} is not supported; this server speaks ${PROTOCOL_VERSION}`,
      };
    }
    if (this.#closed) return { code: 'SHUTTING_DOWN', message: 'the server is shutting down' };
    if (!frame.resume) return this.#add(session, frame, grant, createPeerIdentity());
    if (!verifyPeerIdentity(frame.resume)) {
      return { code: 'RESUME_REJECTED', message: 'the resume secret does not match that peer id' };
    }
    const held = this.#peers.get(frame.resume.peerId);
    if (held?.record.room === frame.room && held.record.identity === grant?.identity) {
      return this.#reattach(session, held, frame);
    }
    return this.#resumeElsewhere(session, frame, grant, held);
  }

  async #resumeElsewhere(
    session: Session,
    frame: JoinFrame,
    grant: Grant | undefined,
    held: LocalPeer | undefined,
  ): Promise<JoinResult> {
    const identity = frame.resume as NonNullable<JoinFrame['resume']>;
    if (held) await this.leave(held, 'left');
    const view = await this.#watch(frame.room);
    const existing = view.members.get(identity.peerId);
    if (!existing || existing.identity === grant?.identity) {
      const peer = this.#register(session, this.#record(frame, grant, identity.peerId));
      let snapshot: RoomSnapshot | undefined;
      try {
        snapshot = await this.store.claim(frame.room, identity.peerId);
      } catch (error) {
        this.#forget(peer);
        throw error;
      }
      if (snapshot) {
        const record = snapshot.members.find((m) => m.id === identity.peerId);
        if (record) peer.record = { ...record, node: this.store.nodeId };
        this.#activate(peer, snapshot, identity.secret, true, frame.ref);
        if (frame.meta && JSON.stringify(frame.meta) !== JSON.stringify(peer.record.meta)) {
          await this.updateMeta(peer, frame.meta);
        }
        return peer;
      }
      this.#forget(peer);
    } else {
      await this.store.remove(frame.room, identity.peerId, 'left');
    }
    return this.#add(session, frame, grant, identity);
  }

  async #add(
    session: Session,
    frame: JoinFrame,
    grant: Grant | undefined,
    identity: { peerId: PeerId; secret: string },
  ): Promise<JoinResult> {
    const peer = this.#register(session, this.#record(frame, grant, identity.peerId));
    try {
      await this.#watch(frame.room);
      const roomLimit = Math.min(
        this.options.maxPeersPerRoom,
        grant?.maxPeers ?? Number.POSITIVE_INFINITY,
      );
      const result = await this.store.add(peer.record, {
        maxRooms: this.options.maxRooms,
        roomLimit,
      });
      if (!result.ok) {
        this.#forget(peer);
        return result.refusal === 'ROOM_FULL'
          ? { code: 'ROOM_FULL', message: `room "${frame.room}" is full (${roomLimit} peers)` }
          : {
              code: 'TOO_MANY_ROOMS',
              message: `the server holds its maximum of ${this.options.maxRooms} rooms`,
            };
      }
      this.#activate(peer, result, identity.secret, false, frame.ref);
      return peer;
    } catch (error) {
      this.#forget(peer);
      throw error;
    }
  }

  #record(frame: JoinFrame, grant: Grant | undefined, id: PeerId): MemberRecord {
    return {
      id,
      room: frame.room,
      meta: frame.meta ?? NO_META,
      node: this.store.nodeId,
      ...(grant?.identity === undefined ? {} : { identity: grant.identity }),
      ...(grant ? { perms: grant.perms } : {}),
    };
  }

  /** Starts tracking a peer that is joining: frames for it are held until it is active. */
  #register(session: Session, record: MemberRecord): LocalPeer {
    const peer: LocalPeer = {
      record,
      session: null,
      sinceSeq: Number.POSITIVE_INFINITY,
      pending: undefined,
    };
    this.#peers.set(record.id, peer);
    this.#views.get(record.room)?.local.add(record.id);
    peer.session = session;
    return peer;
  }

  /** The store accepted the peer: welcome it with the room as the snapshot saw it, then catch up. */
  #activate(
    peer: LocalPeer,
    snapshot: RoomSnapshot,
    secret: string,
    resumed: boolean,
    ref?: string,
  ): void {
    const view = this.#views.get(peer.record.room);
    if (!view) return;
    view.local.add(peer.record.id);
    const later = view.catchUp(snapshot);
    // Routable at once, before the store's own event about it comes back round.
    view.members.set(peer.record.id, peer.record);
    peer.sinceSeq = snapshot.seq;
    const welcome: ServerFrame = {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      room: peer.record.room,
      peerId: peer.record.id,
      secret,
      resumed,
      peers: snapshot.members.filter((m) => m.id !== peer.record.id).map(peerInfo),
      iceServers: this.options.turn
        ? [...this.options.iceServers, turnCredentials(this.options.turn, peer.record.id)]
        : this.options.iceServers,
      ...(this.#relay && peer.record.perms?.relay !== false ? { relay: this.#relay.settings } : {}),
      ...(ref === undefined ? {} : { ref }),
    };
    peer.session?.send(JSON.stringify(welcome));
    for (const event of later) this.#tell(peer, event);
    this.#flush(peer);
  }

  #reattach(session: Session, peer: LocalPeer, frame: JoinFrame): JoinResult | Promise<JoinResult> {
    const previous = peer.session;
    peer.session = session;
    clearTimeout(peer.grace);
    previous?.retire();
    const view = this.#views.get(peer.record.room);
    const snapshot = { seq: view?.seq ?? 0, members: [...(view?.members.values() ?? [])] };
    this.#activate(peer, snapshot, (frame.resume as { secret: string }).secret, true, frame.ref);
    if (frame.meta && JSON.stringify(frame.meta) !== JSON.stringify(peer.record.meta)) {
      return this.updateMeta(peer, frame.meta).then(() => peer);
    }
    return peer;
  }

  /** Removes a member for good and tells the room why. */
  async leave(peer: LocalPeer, reason: LeaveReason): Promise<void> {
    if (this.#peers.get(peer.record.id) !== peer) return;
    this.#forget(peer);
    if (this.#closed) return;
    const { room, id } = peer.record;
    try {
      await this.store.remove(room, id, reason);
    } catch {
      // The shared state is unreachable: at least tell this node's peers.
      const view = this.#views.get(room);
      view?.members.delete(id);
      const text = JSON.stringify({ type: 'peer-left', peerId: id, reason } satisfies ServerFrame);
      for (const local of view?.local ?? []) this.#deliverLocal(local, text);
    }
  }

  /**
   * The peer's connection dropped: keep its place for the grace period, silently, so a
   * resume within it causes no leave/join flap; then announce it left.
   */
  detach(peer: LocalPeer, reason: 'disconnected' | 'timeout'): void {
    peer.session = null;
    if (this.#closed) return;
    if (this.options.resumeGraceMs === 0) {
      void this.leave(peer, reason).catch(() => {});
      return;
    }
    peer.grace = setTimeout(
      () => void this.leave(peer, reason).catch(() => {}),
      this.options.resumeGraceMs,
    );
    peer.grace.unref();
  }

  /** Forwards a signal to a peer of the same room, stamping `from`. */
  signal(peer: LocalPeer, frame: SignalFrame): FrameRejection | undefined {
    if (peer.record.perms?.publish === false && sendsMedia(frame.data)) {
      return {
        code: 'FORBIDDEN',
        message: 'your room token does not allow publishing audio or video',
      };
    }
    const target = this.#views.get(peer.record.room)?.members.get(frame.to);
    if (!target || target.id === peer.record.id) {
      return {
        code: 'PEER_NOT_FOUND',
        message: `peer ${frame.to} is not in room "${peer.record.room}"`,
      };
    }
    // Built by hand so the SDP is serialized once, with `from` first and never from the client.
    const text = `{"type":"signal","from":"${peer.record.id}","data":${JSON.stringify(frame.data)}}`;
    if (target.node !== this.store.nodeId) {
      this.store.send(target.node, target.id, text);
      return undefined;
    }
    if (this.#deliverLocal(target.id, text)) return undefined;
    const waiting = this.#peers.get(target.id)?.pending?.length ?? 0;
    return {
      code: 'PEER_NOT_FOUND',
      message: `peer ${frame.to} is reconnecting and has ${waiting} signals waiting already`,
    };
  }

  /** Replaces a member's metadata and tells the others. */
  async updateMeta(peer: LocalPeer, meta: PeerMeta): Promise<void> {
    peer.record = { ...peer.record, meta };
    await this.store.update(peer.record);
  }

  // ─── StoreListener ──────────────────────────────────────────────────────────

  roomEvent(event: RoomEvent): void {
    const room = event.kind === 'left' ? event.room : event.record.room;
    const view = this.#views.get(room);
    if (!view?.apply(event)) return;
    if (event.kind === 'moved' && event.record.node !== this.store.nodeId) {
      this.#movedAway(event.record);
      return;
    }
    for (const id of view.local) {
      const peer = this.#peers.get(id);
      if (peer) this.#tell(peer, event);
    }
  }

  deliver(peerId: PeerId, text: string): void {
    this.#deliverLocal(peerId, text);
  }

  deliverRelay(peerId: PeerId, frame: Buffer): void {
    this.#relay?.toLocal(peerId, frame);
  }

  recovered(): void {
    const local = new Map<RoomName, RoomSnapshot>();
    for (const [room, view] of this.#views) {
      const members = [...view.local].flatMap((id) => this.#peers.get(id)?.record ?? []);
      local.set(room, { seq: view.seq, members });
    }
    void Promise.resolve(this.store.restore(local))
      .then((rooms) => {
        for (const [name, snapshot] of rooms) this.#resync(name, snapshot);
      })
      .catch(() => {});
  }

  /** Stops all timers and announcements: the server is going away. */
  close(): void {
    this.#closed = true;
    for (const peer of this.#peers.values()) clearTimeout(peer.grace);
  }

  // ─── internals ──────────────────────────────────────────────────────────────

  async #watch(room: RoomName): Promise<RoomView> {
    let view = this.#views.get(room);
    if (!view) {
      view = new RoomView();
      this.#views.set(room, view);
      await this.store.watch(room);
    }
    return view;
  }

  /** Drops a peer from this node's books (not from the room). */
  #forget(peer: LocalPeer): void {
    clearTimeout(peer.grace);
    this.#relay?.forget(peer.record.id);
    if (this.#peers.get(peer.record.id) === peer) this.#peers.delete(peer.record.id);
    peer.session = null;
    const view = this.#views.get(peer.record.room);
    view?.local.delete(peer.record.id);
    if (view && view.local.size === 0) {
      this.#views.delete(peer.record.room);
      this.store.unwatch(peer.record.room);
    }
  }

  /** The peer resumed on another node: hand over what it was owed and let go of it here. */
  #movedAway(record: MemberRecord): void {
    const peer = this.#peers.get(record.id);
    if (!peer) return;
    const { session, pending } = peer;
    this.#forget(peer);
    session?.retire();
    for (const data of pending ?? []) {
      if (typeof data === 'string') this.store.send(record.node, record.id, data);
      else this.store.sendRelay(record.node, record.id, data);
    }
  }

  /** Sends a peer the client frame an event means for it, if it has not seen the event. */
  #tell(peer: LocalPeer, event: RoomEvent): void {
    if (event.seq <= peer.sinceSeq) return;
    let frame: ServerFrame | undefined;
    if (event.kind === 'joined' && event.record.id !== peer.record.id) {
      frame = { type: 'peer-joined', peer: peerInfo(event.record) };
    } else if (event.kind === 'updated' && event.record.id !== peer.record.id) {
      frame = { type: 'peer-updated', peer: peerInfo(event.record) };
    } else if (event.kind === 'left' && event.id !== peer.record.id) {
      frame = { type: 'peer-left', peerId: event.id, reason: event.reason };
    }
    if (frame) this.#deliverLocal(peer.record.id, JSON.stringify(frame));
  }

  /** Sends to a local peer, or holds the frame while it joins or reconnects; false if it cannot. */
  #deliverLocal(peerId: PeerId, text: string | Buffer): boolean {
    const peer = this.#peers.get(peerId);
    if (!peer) return false;
    if (peer.session && peer.sinceSeq !== Number.POSITIVE_INFINITY) {
      peer.session.send(text);
      return true;
    }
    peer.pending ??= [];
    if (peer.pending.length >= this.options.maxPendingSignals) return false;
    peer.pending.push(text);
    return true;
  }

  #flush(peer: LocalPeer): void {
    const pending = peer.pending ?? [];
    peer.pending = undefined;
    for (const text of pending) peer.session?.send(text);
  }

  /** After the shared state was rebuilt: tell local peers what changed while it was away. */
  #resync(room: RoomName, snapshot: RoomSnapshot): void {
    const view = this.#views.get(room);
    if (!view) return;
    const before = new Map(view.members);
    view.reset(snapshot);
    const changes: ServerFrame[] = [];
    for (const [id] of before) {
      if (!view.members.has(id))
        changes.push({ type: 'peer-left', peerId: id, reason: 'disconnected' });
    }
    for (const [id, record] of view.members) {
      if (!before.has(id)) changes.push({ type: 'peer-joined', peer: peerInfo(record) });
    }
    for (const id of view.local) {
      const peer = this.#peers.get(id);
      if (!peer) continue;
      peer.sinceSeq = Math.min(peer.sinceSeq, snapshot.seq);
      for (const change of changes) {
        const subject =
          change.type === 'peer-left'
            ? change.peerId
            : change.type === 'peer-joined'
              ? change.peer.id
              : '';
        if (subject !== id) this.#deliverLocal(id, JSON.stringify(change));
      }
    }
  }
}
