import type { Grant } from './auth.js';
import type { Ending } from './client-socket.js';
import type { Delivery } from './delivery.js';
import { errorFrame, type FrameRejection } from './frames.js';
import { createPeerIdentity, verifyPeerIdentity } from './ids.js';
import type { LocalPeer, LocalPeers, Session } from './local-peers.js';
import type { ResolvedOptions } from './options.js';
import {
  CLOSE_CODES,
  type JoinFrame,
  type LeaveReason,
  type PeerId,
  type PeerMeta,
  PROTOCOL_VERSION,
  type ServerFrame,
} from './protocol.js';
import {
  type AddResult,
  type Awaitable,
  type MemberRecord,
  peerInfo,
  type RoomSnapshot,
  type RoomStore,
} from './room-store.js';
import type { RoomView } from './room-view.js';
import { turnCredentials } from './turn.js';

type MembershipOptions = Pick<
  ResolvedOptions,
  'maxRooms' | 'maxRoomsPerIp' | 'maxPeersPerRoom' | 'resumeGraceMs' | 'iceServers' | 'turn'
>;

/** The peer now in the room, or why it is not. */
export type JoinResult = LocalPeer | FrameRejection;

/** Shared by every peer without metadata (records are replaced, never mutated). */
const NO_META: PeerMeta = Object.freeze({});

/**
 * Who is in which room, for the peers connected to this node: join (with the store's
 * limits), resume (within the grace period on this node, or later / elsewhere by proving
 * the peer id's secret), leave, and the grace period that hides a dropped connection's
 * reconnect from the room. Membership itself lives in the {@link RoomStore}; frames go
 * out through {@link Delivery}.
 */
export class Membership {
  #closed = false;
  /** Peers whose join or resume waits for the store (with Redis), until it has settled. */
  readonly #joining = new Set<LocalPeer>();

  constructor(
    private readonly options: MembershipOptions,
    private readonly store: RoomStore,
    private readonly local: LocalPeers,
    private readonly delivery: Delivery,
  ) {}

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
    if (!this.store.ready)
      return {
        code: 'UNAVAILABLE',
        message: 'the shared state (Redis) is not answering; try again shortly',
      };
    const { address } = session;
    const { maxRoomsPerIp } = this.options;
    if (!this.local.isIn(address, frame.room) && this.local.roomsOf(address) >= maxRoomsPerIp) {
      return {
        code: 'TOO_MANY_ROOMS',
        message: `peers from your address are in ${maxRoomsPerIp} rooms already (maxRoomsPerIp)`,
      };
    }
    if (!frame.resume) return this.#add(session, frame, grant, createPeerIdentity());
    if (!verifyPeerIdentity(frame.resume)) {
      return { code: 'RESUME_REJECTED', message: 'the resume secret does not match that peer id' };
    }
    const held = this.local.peers.get(frame.resume.peerId);
    if (held && this.#joining.has(held)) {
      // Its join or resume on another connection still waits for the store (that connection
      // may have died meanwhile). Taking the peer over now would welcome it twice, and that
      // join, finishing on a closed connection, would take the peer out of the room under
      // this one: the client tries again once it has finished.
      return {
        code: 'UNAVAILABLE',
        message: `peer ${held.record.id} is still joining on another connection; try again shortly`,
      };
    }
    if (held?.record.room === frame.room && held.record.identity === grant?.identity) {
      return this.#reattach(session, held, frame, grant);
    }
    return this.#resumeElsewhere(session, frame, grant, held);
  }

  /** Removes a member for good and tells the room why. */
  async leave(peer: LocalPeer, reason: LeaveReason): Promise<void> {
    if (!this.local.holds(peer)) return;
    this.local.forget(peer);
    if (this.#closed) return;
    const { room, id } = peer.record;
    try {
      await this.store.remove(room, id, reason);
    } catch {
      // The shared state is unreachable: at least tell this node's peers.
      this.delivery.announceLeft(room, id, reason);
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

  /** The member's connection closed: what the room is told depends on how it ended. */
  ended(peer: LocalPeer, code: number, ending: Ending): void {
    const ignore = (): void => {};
    if (ending === 'kicked') void this.leave(peer, 'kicked').catch(ignore);
    else if (ending === 'timeout') this.detach(peer, 'timeout');
    else if (ending === 'shutdown') peer.session = null;
    else if (code === CLOSE_CODES.NORMAL || code === CLOSE_CODES.GOING_AWAY) {
      void this.leave(peer, 'left').catch(ignore);
    } else this.detach(peer, 'disconnected');
  }

  /** Replaces a member's metadata and tells the others. */
  async updateMeta(peer: LocalPeer, meta: PeerMeta): Promise<void> {
    peer.record = { ...peer.record, meta };
    await this.store.update(peer.record);
  }

  /** Stops all timers and announcements: the server is going away. */
  close(): void {
    this.#closed = true;
    for (const peer of this.local.peers.values()) clearTimeout(peer.grace);
  }

  // ─── internals ──────────────────────────────────────────────────────────────

  async #resumeElsewhere(
    session: Session,
    frame: JoinFrame,
    grant: Grant | undefined,
    held: LocalPeer | undefined,
  ): Promise<JoinResult> {
    const identity = frame.resume as NonNullable<JoinFrame['resume']>;
    if (held) await this.leave(held, 'left');
    let view: RoomView;
    try {
      view = await this.local.watch(frame.room, identity.peerId);
    } catch (error) {
      this.local.release(frame.room, identity.peerId);
      throw error;
    }
    const existing = view.members.get(identity.peerId);
    if (!existing || existing.identity === grant?.identity) {
      const peer = this.local.register(session, this.#record(frame, grant, identity.peerId));
      let snapshot: RoomSnapshot | undefined;
      let changed = false;
      view.joinStarted();
      this.#joining.add(peer);
      try {
        snapshot = await this.store.claim(frame.room, identity.peerId);
        if (snapshot) {
          const record = snapshot.members.find((m) => m.id === identity.peerId);
          if (record) peer.record = { ...record, node: this.store.nodeId };
          changed = this.#resumedWith(peer, frame, grant);
          this.#activate(peer, snapshot, identity.secret, true, frame.ref);
        }
      } catch (error) {
        this.local.forget(peer);
        throw error;
      } finally {
        view.joinEnded();
        this.#joining.delete(peer);
      }
      if (snapshot) return changed ? this.#announceResumed(peer) : peer;
      this.local.forget(peer);
    } else {
      try {
        await this.store.remove(frame.room, identity.peerId, 'left');
      } catch (error) {
        this.local.release(frame.room, identity.peerId);
        throw error;
      }
    }
    return this.#add(session, frame, grant, identity);
  }

  /**
   * Adds a fresh peer. With the in-memory store every step answers at once, and so does
   * this: the welcome goes out while the join frame is handled, with no promise between
   * (and the connection need not stop reading meanwhile). With Redis it finishes later.
   */
  #add(
    session: Session,
    frame: JoinFrame,
    grant: Grant | undefined,
    identity: { peerId: PeerId; secret: string },
  ): Awaitable<JoinResult> {
    const peer = this.local.register(session, this.#record(frame, grant, identity.peerId));
    this.#joining.add(peer);
    let view: RoomView | undefined;
    const ended = (): void => {
      this.#joining.delete(peer);
      view?.joinEnded();
      view = undefined;
    };
    const failed = (error: unknown): never => {
      ended();
      this.local.forget(peer);
      throw error;
    };
    try {
      const roomLimit = Math.min(
        this.options.maxPeersPerRoom,
        grant?.maxPeers ?? Number.POSITIVE_INFINITY,
      );
      const add = (watched: RoomView): Awaitable<AddResult> => {
        view = watched;
        view.joinStarted();
        return this.store.add(peer.record, { maxRooms: this.options.maxRooms, roomLimit });
      };
      const watching = this.local.watch(frame.room, peer.record.id);
      const added = watching instanceof Promise ? watching.then(add) : add(watching);
      const settle = (result: AddResult): JoinResult => {
        const joined = this.#added(peer, frame, identity.secret, roomLimit, result);
        ended();
        return joined;
      };
      return added instanceof Promise ? added.then(settle).catch(failed) : settle(added);
    } catch (error) {
      return failed(error);
    }
  }

  /** The store's answer to an add: the peer welcomed, or why it was refused. */
  #added(
    peer: LocalPeer,
    frame: JoinFrame,
    secret: string,
    roomLimit: number,
    result: AddResult,
  ): JoinResult {
    if (!result.ok) {
      this.local.forget(peer);
      return result.refusal === 'ROOM_FULL'
        ? { code: 'ROOM_FULL', message: `room "${frame.room}" is full (${roomLimit} peers)` }
        : {
            code: 'TOO_MANY_ROOMS',
            message: `the server holds its maximum of ${this.options.maxRooms} rooms`,
          };
    }
    this.#activate(peer, result, secret, false, frame.ref);
    return peer;
  }

  #record(frame: JoinFrame, grant: Grant | undefined, id: PeerId): MemberRecord {
    // Built by assignment, not spread: a literal with spreads gets room for more properties
    // than it has, and there is a record per peer.
    const record: MemberRecord = {
      id,
      room: frame.room,
      meta: frame.meta ?? NO_META,
      node: this.store.nodeId,
    };
    if (grant?.identity !== undefined) record.identity = grant.identity;
    if (grant) record.perms = grant.perms;
    return record;
  }

  /** The store accepted the peer: welcome it with the room as the snapshot saw it, then catch up. */
  #activate(
    peer: LocalPeer,
    snapshot: RoomSnapshot,
    secret: string,
    resumed: boolean,
    ref?: string,
  ): void {
    const view = this.local.views.get(peer.record.room);
    if (!view) return;
    view.local.add(peer.record.id);
    const later = view.catchUp(snapshot);
    // Routable at once, before the store's own event about it comes back round.
    view.members.set(peer.record.id, peer.record);
    peer.sinceSeq = snapshot.seq;
    const relay = this.delivery.relayTermsFor(peer);
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
      ...(relay ? { relay } : {}),
      ...(ref === undefined ? {} : { ref }),
    };
    peer.session?.send(JSON.stringify(welcome));
    for (const event of later) this.delivery.tell(peer, event);
    this.delivery.flush(peer);
  }

  #reattach(
    session: Session,
    peer: LocalPeer,
    frame: JoinFrame,
    grant: Grant | undefined,
  ): JoinResult | Promise<JoinResult> {
    const previous = peer.session;
    peer.session = session;
    clearTimeout(peer.grace);
    previous?.retire();
    const view = this.local.views.get(peer.record.room);
    const snapshot = { seq: view?.seq ?? 0, members: [...(view?.members.values() ?? [])] };
    const changed = this.#resumedWith(peer, frame, grant);
    this.#activate(peer, snapshot, (frame.resume as { secret: string }).secret, true, frame.ref);
    // What is held for it from now on counts against the address it is back from.
    peer.pendingAddress = session.address;
    return changed ? this.#announceResumed(peer) : peer;
  }

  /**
   * Tells the room of a resumed peer's new metadata or permissions. The peer is back
   * whatever the store answers (its welcome is out, and its connection must hold it, or
   * it would stay in the room with no one to close it): if the store fails, the client
   * is told so, not that its join failed.
   */
  async #announceResumed(peer: LocalPeer): Promise<LocalPeer> {
    try {
      await this.store.update(peer.record);
    } catch {
      const message =
        'resumed, but the shared state (Redis) did not confirm your new metadata to the room; send meta again shortly';
      peer.session?.send(JSON.stringify(errorFrame('UNAVAILABLE', message)));
    }
    return peer;
  }

  /**
   * A resume brings its own metadata and, with tokens, its own grant: the token presented
   * now decides what the peer may do, not the one it joined with. True when the record changed.
   */
  #resumedWith(peer: LocalPeer, frame: JoinFrame, grant: Grant | undefined): boolean {
    const meta = frame.meta ?? peer.record.meta;
    const perms = grant ? grant.perms : peer.record.perms;
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
    if (same(meta, peer.record.meta) && same(perms, peer.record.perms)) return false;
    peer.record = { ...peer.record, meta, ...(perms ? { perms } : {}) };
    return true;
  }
}
