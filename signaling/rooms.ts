import type { PeerId, PeerMeta, PeerPerms, RoomName } from './protocol.js';

/** A peer in a room, as the registry keeps it. `T` is whatever the server attaches. */
export interface Member<T> {
  readonly id: PeerId;
  readonly room: RoomName;
  meta: PeerMeta;
  /** Who the room token says this peer is, and what it may do; absent without auth. */
  readonly identity?: string;
  readonly perms?: PeerPerms;
  /** The connection that speaks for this peer; null while it is reconnecting. */
  attachment: T | null;
}

/** Why {@link RoomRegistry.add} refused a peer. */
export type AddRefusal = 'ROOM_FULL' | 'TOO_MANY_ROOMS';

/**
 * The room registry as plain data: room → members, and peer id → member.
 * It knows nothing of sockets or timers; the hub decides when to add and remove.
 */
export class RoomRegistry<T> {
  readonly #rooms = new Map<RoomName, Map<PeerId, Member<T>>>();
  readonly #peers = new Map<PeerId, Member<T>>();

  constructor(private readonly limits: { maxRooms: number; maxPeersPerRoom: number }) {}

  get roomCount(): number {
    return this.#rooms.size;
  }

  get peerCount(): number {
    return this.#peers.size;
  }

  get(peerId: PeerId): Member<T> | undefined {
    return this.#peers.get(peerId);
  }

  /** Members of `room`, in join order; empty when the room does not exist. */
  members(room: RoomName): IterableIterator<Member<T>> {
    return (this.#rooms.get(room) ?? new Map<PeerId, Member<T>>()).values();
  }

  /**
   * Adds a member, creating its room if needed; refuses when a limit would be passed.
   * `roomLimit` lowers the room's peer limit for this join (a token's `maxPeers`).
   */
  add(member: Member<T>, roomLimit = this.limits.maxPeersPerRoom): AddRefusal | undefined {
    let room = this.#rooms.get(member.room);
    if (roomLimit < 1) return 'ROOM_FULL';
    if (!room) {
      if (this.#rooms.size >= this.limits.maxRooms) return 'TOO_MANY_ROOMS';
      room = new Map();
      this.#rooms.set(member.room, room);
    } else if (room.size >= Math.min(roomLimit, this.limits.maxPeersPerRoom)) {
      return 'ROOM_FULL';
    }
    room.set(member.id, member);
    this.#peers.set(member.id, member);
    return undefined;
  }

  /** Removes a member; the room goes when its last member does. */
  remove(member: Member<T>): void {
    if (this.#peers.get(member.id) !== member) return;
    this.#peers.delete(member.id);
    const room = this.#rooms.get(member.room);
    room?.delete(member.id);
    if (room?.size === 0) this.#rooms.delete(member.room);
  }
}
