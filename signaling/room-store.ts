import type { LeaveReason, PeerId, PeerInfo, PeerMeta, PeerPerms, RoomName } from './protocol.js';

/** A value, or a promise of it: the in-memory store answers at once, Redis does not. */
export type Awaitable<T> = T | Promise<T>;

/** A room member as the shared state keeps it: presence plus the node its connection is on. */
export interface MemberRecord {
  id: PeerId;
  room: RoomName;
  meta: PeerMeta;
  identity?: string;
  perms?: PeerPerms;
  /** Id of the signaling node holding the peer's connection. */
  node: string;
}

/**
 * A change to a room, numbered by the room's sequence so that a node can tell which
 * events a snapshot already contains. Every node with members in the room sees every
 * event, in order.
 */
export type RoomEvent =
  | { seq: number; kind: 'joined'; record: MemberRecord }
  | { seq: number; kind: 'left'; room: RoomName; id: PeerId; reason: LeaveReason }
  | { seq: number; kind: 'updated'; record: MemberRecord }
  /** The peer resumed on another node (no one is told; caches and the old node are). */
  | { seq: number; kind: 'moved'; record: MemberRecord };

/** The room's members at sequence `seq`. */
export interface RoomSnapshot {
  seq: number;
  members: MemberRecord[];
}

export type AddResult =
  | ({ ok: true } & RoomSnapshot)
  | { ok: false; refusal: 'ROOM_FULL' | 'TOO_MANY_ROOMS' };

/** What a store calls back into its node. */
export interface StoreListener {
  /** A room event, for a room this node has subscribed to. */
  roomEvent(event: RoomEvent): void;
  /** A frame for a peer whose connection is on this node. */
  deliver(peerId: PeerId, text: string): void;
  /** A relay frame for a peer whose connection is on this node. */
  deliverRelay(peerId: PeerId, frame: Buffer): void;
  /**
   * The backend came back after an outage. `'state'`: it lost the rooms, so the node
   * re-registers its members and re-reads its rooms; `'events'`: the rooms are intact but
   * events may have been missed (the subscription dropped), so it re-reads them.
   */
  recovered(lost: 'state' | 'events'): void;
}

/**
 * Shared room state: membership with limits, and delivery of events and frames to the
 * node that holds each peer. `createMemoryStore()` keeps it in this process;
 * `createRedisStore()` shares it between nodes. Methods may answer synchronously or with
 * a promise, so callers await only when they must.
 */
export interface RoomStore {
  readonly nodeId: string;
  /** True while the store can serve (Redis connected). */
  readonly ready: boolean;
  /**
   * After the backend lost the rooms, how long the other nodes may take to write their
   * members back: until then a member of another node missing from a snapshot is not
   * taken for gone (it is announced `joined` when its node restores it).
   */
  readonly settleMs: number;
  start(listener: StoreListener): Promise<void>;
  /** Starts receiving `room`'s events (before adding to it, so none is missed). */
  watch(room: RoomName): Awaitable<void>;
  /** Stops receiving `room`'s events once this node has no members there. */
  unwatch(room: RoomName): void;
  /** Adds a member if the room and server limits allow; answers with the room as it was. */
  add(record: MemberRecord, limits: { maxRooms: number; roomLimit: number }): Awaitable<AddResult>;
  /** Removes a member and announces why; false if it was not there. */
  remove(room: RoomName, id: PeerId, reason: LeaveReason): Awaitable<boolean>;
  /** Replaces a member's metadata and announces it. */
  update(record: MemberRecord): Awaitable<void>;
  /**
   * Moves an existing member to this node (a resume that landed here) and answers with
   * the room as it now is; undefined if the member is gone.
   */
  claim(room: RoomName, id: PeerId): Awaitable<RoomSnapshot | undefined>;
  /**
   * Sends a frame to a peer on another node; answers false when no node took it (that
   * node is not listening, e.g. while it reconnects to Redis), so it is not lost unsaid.
   */
  send(node: string, peerId: PeerId, text: string): Awaitable<boolean>;
  /** Sends a relay frame to a peer on another node. */
  sendRelay(node: string, peerId: PeerId, frame: Buffer): void;
  /**
   * Re-registers this node's members after the backend lost them (keeping each room's
   * sequence at least at `seq`), then answers with each room as it is once the other
   * nodes have done the same.
   */
  restore(rooms: Map<RoomName, RoomSnapshot>): Awaitable<Map<RoomName, RoomSnapshot>>;
  /** Answers with each of `rooms` as it is now. */
  read(rooms: RoomName[]): Awaitable<Map<RoomName, RoomSnapshot>>;
  close(): Promise<void>;
}

/** The presence view of a member that clients see. */
export function peerInfo(record: MemberRecord): PeerInfo {
  const peer: PeerInfo = { id: record.id, meta: record.meta };
  if (record.identity !== undefined) peer.identity = record.identity;
  if (record.perms) peer.perms = record.perms;
  return peer;
}
