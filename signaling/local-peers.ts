import { innerMap } from './nested-map.js';
import type { PeerId, RoomName } from './protocol.js';
import type { Awaitable, MemberRecord, RoomStore } from './room-store.js';
import { RoomView } from './room-view.js';

/** What the server needs of a client connection: a way to send it frames, and to retire it. */
export interface Session {
  /**
   * Sends a JSON text frame, or a binary relay frame; `written` is called once a relay
   * frame has left this process (or was dropped).
   */
  send(data: string | Buffer, written?: () => void): void;
  /** Another connection resumed this session's peer: close quietly, announce nothing. */
  retire(): void;
  /** The client's IP address, for per-address limits. */
  readonly address: string;
}

/** A peer whose connection is (or was, within the grace period) on this node. */
export interface LocalPeer {
  record: MemberRecord;
  session: Session | null;
  /**
   * Events up to this sequence were in the peer's welcome; it gets only later ones. Until
   * its welcome, undefined: it is told nothing, and frames for it are held. (Never a
   * non-integer such as Infinity: V8 would then box this field in every peer.)
   */
  sinceSeq: number | undefined;
  /** Frames held while the peer joins or reconnects, delivered when it is back. */
  pending: (string | Buffer)[] | undefined;
  /** The address of the connection that joined it, for rooms per address. */
  address: string;
  /** Bytes in `pending`, and the address they are counted against. */
  pendingBytes: number;
  pendingAddress: string;
  grace?: NodeJS.Timeout;
}

/**
 * This node's books, shared by membership and delivery: the peers whose connections are
 * here (joining, joined or reconnecting) and this node's {@link RoomView} of each room
 * they are in. A view exists while the room has a local peer, and only then does the node
 * watch the room's events.
 */
export class LocalPeers {
  readonly peers = new Map<PeerId, LocalPeer>();
  readonly views = new Map<RoomName, RoomView>();
  readonly #onForget: ((peer: LocalPeer) => void)[] = [];
  /** address → room → this node's peers from that address in the room. */
  readonly #roomsByAddress = new Map<string, Map<RoomName, number>>();

  constructor(private readonly store: RoomStore) {}

  /** Calls `listener` with every peer dropped from this node's books, before it goes. */
  whenForgotten(listener: (peer: LocalPeer) => void): void {
    this.#onForget.push(listener);
  }

  /**
   * The view of `room`, made (and the room watched) if this node had none: at once when
   * the store watches at once (in memory), else once it does. `joining`, the peer whose
   * join asks, counts among the view's local peers from now on, so that the view outlives
   * the wait even if every other local peer of the room goes meanwhile; it is let go with
   * {@link forget}, or {@link release} if the join ends without registering it.
   */
  watch(room: RoomName, joining: PeerId): Awaitable<RoomView> {
    const known = this.views.get(room);
    if (known) {
      known.local.add(joining);
      return known;
    }
    const view = new RoomView();
    view.local.add(joining);
    this.views.set(room, view);
    const watching = this.store.watch(room);
    return watching instanceof Promise ? watching.then(() => view) : view;
  }

  /** Starts tracking a peer that is joining: frames for it are held until it is active. */
  register(session: Session, record: MemberRecord): LocalPeer {
    const peer: LocalPeer = {
      record,
      session,
      sinceSeq: undefined,
      pending: undefined,
      address: session.address,
      pendingBytes: 0,
      pendingAddress: session.address,
    };
    this.peers.set(record.id, peer);
    const rooms = innerMap(this.#roomsByAddress, peer.address);
    rooms.set(record.room, (rooms.get(record.room) ?? 0) + 1);
    this.views.get(record.room)?.local.add(record.id);
    return peer;
  }

  /** How many rooms peers from `address` are in (joined, joining or reconnecting) on this node. */
  roomsOf(address: string): number {
    return this.#roomsByAddress.get(address)?.size ?? 0;
  }

  /** True when a peer from `address` is already in `room` on this node. */
  isIn(address: string, room: RoomName): boolean {
    return this.#roomsByAddress.get(address)?.has(room) ?? false;
  }

  /** True while `peer` is the one this node holds under its id. */
  holds(peer: LocalPeer): boolean {
    return this.peers.get(peer.record.id) === peer;
  }

  /** Drops a peer from this node's books (not from the room). */
  forget(peer: LocalPeer): void {
    clearTimeout(peer.grace);
    for (const listener of this.#onForget) listener(peer);
    if (this.holds(peer)) {
      this.peers.delete(peer.record.id);
      const rooms = this.#roomsByAddress.get(peer.address);
      const count = (rooms?.get(peer.record.room) ?? 1) - 1;
      if (count > 0) rooms?.set(peer.record.room, count);
      else rooms?.delete(peer.record.room);
      if (rooms?.size === 0) this.#roomsByAddress.delete(peer.address);
    }
    peer.session = null;
    this.release(peer.record.room, peer.record.id);
  }

  /** Stops counting `id` among the local peers of `room`; the room's last one lets its view go. */
  release(room: RoomName, id: PeerId): void {
    const view = this.views.get(room);
    view?.local.delete(id);
    if (view && view.local.size === 0) {
      this.views.delete(room);
      this.store.unwatch(room);
    }
  }
}
