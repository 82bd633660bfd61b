import { errorFrame, type FrameRejection } from './frames.js';
import type { LocalPeer, LocalPeers } from './local-peers.js';
import { MAX_TIMER_MS, type ResolvedOptions } from './options.js';
import {
  isMediaTag,
  type LeaveReason,
  type PeerId,
  RELAY_HEADER_BYTES,
  type RelayCreditFrame,
  type RoomName,
  type ServerFrame,
  type SignalFrame,
} from './protocol.js';
import { Relay, type RelayKind, type RelaySettings } from './relay.js';
import {
  type MemberRecord,
  peerInfo,
  type RoomEvent,
  type RoomSnapshot,
  type RoomStore,
  type StoreListener,
} from './room-store.js';
import { publishingReason } from './sdp.js';
import { TokenBucket } from './token-bucket.js';

type DeliveryOptions = Pick<
  ResolvedOptions,
  | 'maxPendingSignals'
  | 'maxPendingBytes'
  | 'relay'
  | 'relayMedia'
  | 'relayWindow'
  | 'relayRoomRateLimit'
  | 'relayNodeRateLimit'
  | 'maxPayload'
>;

/** Bytes held for the reconnecting peers of one address: this many times `maxPendingBytes`. */
export const PENDING_ADDRESS_FACTOR = 4;

const RELAY_DISABLED: FrameRejection = {
  code: 'RELAY_DISABLED',
  message: 'the relay is off here, or your room token does not allow it',
};

/**
 * Everything that reaches this node's peers: signals routed within a room, relay frames
 * behind the relay gate (perms, credit, the room's byte rate), presence frames made from
 * room events, frames held for a peer while it joins or reconnects, and the resync after
 * the shared state was rebuilt. It is the room store's listener.
 */
export class Delivery implements StoreListener {
  readonly #relay: Relay | undefined;

  /** Relay bytes this node publishes to the others (`relayNodeRateLimit`). */
  readonly #interNode: TokenBucket;

  /** Set while other nodes may still be writing their members back (see `#settle`). */
  #settling: NodeJS.Timeout | undefined;

  /** Bytes held for reconnecting peers, by the address of the connection they dropped. */
  readonly #pendingByAddress = new Map<string, number>();

  constructor(
    private readonly options: DeliveryOptions,
    private readonly store: RoomStore,
    private readonly local: LocalPeers,
    /** Called with the payload bytes of every relayed frame, and what they carry. */
    onRelayed: (bytes: number, kind: RelayKind) => void = () => {},
  ) {
    local.whenForgotten((peer) => this.#release(peer));
    const nodeRate = options.relayNodeRateLimit;
    this.#interNode = new TokenBucket(nodeRate, nodeRate);
    if (!options.relay) return;
    const settings = {
      window: options.relayWindow,
      maxChunk: options.maxPayload - RELAY_HEADER_BYTES,
      media: options.relayMedia,
    };
    const relay = new Relay(settings, {
      member: (room, id) => local.views.get(room)?.members.get(id),
      deliverLocal: (id, data, written) => this.deliverLocal(id, data, written),
      sendText: (record, text) => this.#sendText(record, text),
      sendRelay: (node, to, frame) => {
        store.sendRelay(node, to, frame);
        return this.#interNode.consume(frame.length);
      },
      counted: onRelayed,
      roomOf: (id) => local.peers.get(id)?.record.room,
    });
    local.whenForgotten((peer) => relay.forget(peer.record.id));
    this.#relay = relay;
  }

  /** The relay's terms for `peer`, for its welcome; undefined when it may not use the relay. */
  relayTermsFor(peer: LocalPeer): RelaySettings | undefined {
    return this.#relay && peer.record.perms?.relay !== false ? this.#relay.settings : undefined;
  }

  /**
   * Forwards a signal to a peer of the same room, stamping `from`. `dataJson`: the signal's
   * data as the client wrote it, when its frame had the SDK's own shape (`signalDataJson`).
   */
  signal(peer: LocalPeer, frame: SignalFrame, dataJson?: string): FrameRejection | undefined {
    const publishing = peer.record.perms?.publish === false && publishingReason(frame.data);
    if (publishing) {
      return {
        code: 'FORBIDDEN',
        message: `your room token does not allow publishing audio or video: ${publishing}`,
      };
    }
    const target = this.local.views.get(peer.record.room)?.members.get(frame.to);
    if (!target || target.id === peer.record.id) {
      return {
        code: 'PEER_NOT_FOUND',
        message: `peer ${frame.to} is not in room "${peer.record.room}"`,
      };
    }
    // `from` is ours, never the client's. Data the client wrote in the SDK's shape goes on
    // as it came: it parses to the value checked above, and serializing it again (escaping
    // and encoding an SDP) was most of a signal's own work. Anything else is serialized
    // from the checked value, in one JSON.stringify of a fresh object.
    const text =
      dataJson === undefined
        ? JSON.stringify({ type: 'signal', from: peer.record.id, data: frame.data })
        : `{"type":"signal","from":"${peer.record.id}","data":${dataJson}}`;
    if (target.node !== this.store.nodeId) {
      this.#sendRemote(peer, frame, target, text);
      return undefined;
    }
    if (this.deliverLocal(target.id, text)) return undefined;
    const waiting = this.local.peers.get(target.id)?.pending?.length ?? 0;
    return {
      code: 'PEER_NOT_FOUND',
      message: `peer ${frame.to} is reconnecting and has ${waiting} signals waiting already`,
    };
  }

  /**
   * Publishes a signal to the node holding its target without waiting (the sender's next
   * frames do not queue behind Redis), and answers the sender with an error if no node
   * took it: the target's node is not listening, e.g. while its Redis connection recovers.
   */
  #sendRemote(peer: LocalPeer, frame: SignalFrame, target: MemberRecord, text: string): void {
    void Promise.resolve(this.store.send(target.node, target.id, text)).then((taken) => {
      if (taken) return;
      const message = `peer ${frame.to} is on a server node that is not taking frames now (reconnecting to its shared state); send the signal again shortly`;
      this.deliverLocal(
        peer.record.id,
        JSON.stringify(errorFrame('UNAVAILABLE', message, frame.ref)),
      );
    });
  }

  /**
   * A relay frame from a peer on this node: answers a refusal, or how many ms the
   * sender's connection should pause for its room, and the link to other nodes, to stay
   * within their relay rates.
   */
  relay(peer: LocalPeer, frame: Buffer): FrameRejection | number {
    if (!this.#relay || peer.record.perms?.relay === false) return RELAY_DISABLED;
    if (peer.record.perms?.publish === false && isMediaTag(frame[RELAY_HEADER_BYTES])) {
      return {
        code: 'FORBIDDEN',
        message: 'your room token does not allow publishing audio or video',
      };
    }
    const interNode = this.#relay.fromClient(peer.record, frame);
    if (typeof interNode !== 'number') return interNode;
    const view = this.local.views.get(peer.record.room);
    if (!view) return interNode;
    const limit = this.options.relayRoomRateLimit;
    view.relayRate ??= new TokenBucket(limit, limit);
    return Math.max(interNode, view.relayRate.consume(frame.length));
  }

  /** A receiver on this node grants a sender more relay credit. */
  relayCredit(peer: LocalPeer, frame: RelayCreditFrame): FrameRejection | undefined {
    if (!this.#relay || peer.record.perms?.relay === false) return RELAY_DISABLED;
    return this.#relay.credit(peer.record, frame.to, frame.bytes);
  }

  /**
   * Sends a peer the client frame an event means for it, if it has not seen the event.
   * A peer whose connection dropped is told nothing: presence is not held for it, since
   * the welcome that resumes it lists the room as it is then (held presence, cut short by
   * the pending caps under churn, left ghosts in views: issue #16 row 13).
   */
  tell(peer: LocalPeer, event: RoomEvent): void {
    if (peer.sinceSeq === undefined || event.seq <= peer.sinceSeq || !peer.session) return;
    let frame: ServerFrame | undefined;
    if (event.kind === 'joined' && event.record.id !== peer.record.id) {
      frame = { type: 'peer-joined', peer: peerInfo(event.record) };
    } else if (event.kind === 'updated' && event.record.id !== peer.record.id) {
      frame = { type: 'peer-updated', peer: peerInfo(event.record) };
    } else if (event.kind === 'left' && event.id !== peer.record.id) {
      frame = { type: 'peer-left', peerId: event.id, reason: event.reason };
    }
    if (frame) this.deliverLocal(peer.record.id, JSON.stringify(frame));
  }

  /** Sends to a local peer, or holds the frame while it joins or reconnects; false if it cannot. */
  deliverLocal(peerId: PeerId, data: string | Buffer, written?: () => void): boolean {
    const peer = this.local.peers.get(peerId);
    if (!peer) return false;
    if (peer.session && peer.sinceSeq !== undefined) {
      peer.session.send(data, written);
      return true;
    }
    if (!this.#hold(peer, data)) return false;
    written?.(); // what waits here is bounded by the pending caps instead
    return true;
  }

  /** Sends a peer that is back (or newly active) the frames held for it. */
  flush(peer: LocalPeer): void {
    const pending = peer.pending ?? [];
    this.#release(peer);
    for (const data of pending) peer.session?.send(data);
  }

  /** Tells this node's members of `room` that a peer left (when the store cannot). */
  announceLeft(room: RoomName, id: PeerId, reason: LeaveReason): void {
    const view = this.local.views.get(room);
    view?.members.delete(id);
    const text = JSON.stringify({ type: 'peer-left', peerId: id, reason } satisfies ServerFrame);
    for (const member of view?.local ?? []) {
      if (this.local.peers.get(member)?.session) this.deliverLocal(member, text);
    }
  }

  // ─── StoreListener ──────────────────────────────────────────────────────────

  roomEvent(event: RoomEvent): void {
    const room = event.kind === 'left' ? event.room : event.record.room;
    const view = this.local.views.get(room);
    if (!view?.apply(event)) return;
    // The relay pairs of a peer that left go with it, here too: a sender on another node
    // leaves credit behind on its receivers' nodes, which its next session (starting at
    // the window) would be held to. (A peer of this node was forgotten as it left.)
    if (event.kind === 'left') this.#relay?.forget(event.id);
    if (event.kind === 'moved' && event.record.node !== this.store.nodeId) {
      this.#movedAway(event.record);
      return;
    }
    for (const id of view.local) {
      const peer = this.local.peers.get(id);
      if (peer) this.tell(peer, event);
    }
  }

  deliver(peerId: PeerId, text: string): void {
    this.deliverLocal(peerId, text);
  }

  deliverRelay(peerId: PeerId, frame: Buffer): void {
    this.#relay?.toLocal(peerId, frame);
  }

  recovered(lost: 'state' | 'events'): void {
    const rooms = new Map<RoomName, RoomSnapshot>();
    for (const [room, view] of this.local.views) {
      const members = [...view.local].flatMap((id) => this.local.peers.get(id)?.record ?? []);
      rooms.set(room, { seq: view.seq, members });
    }
    if (lost === 'state') this.#settle();
    const current =
      lost === 'state' ? this.store.restore(rooms) : this.store.read([...rooms.keys()]);
    void Promise.resolve(current)
      .then((snapshots) => {
        for (const [name, snapshot] of snapshots) this.#resync(name, snapshot);
      })
      .catch(() => {});
  }

  /** Stops the settling after a state loss (the server is closing). */
  close(): void {
    clearTimeout(this.#settling);
    this.#settling = undefined;
  }

  // ─── internals ──────────────────────────────────────────────────────────────

  /**
   * Opens (or extends) the time the other nodes have to write their members back after
   * the backend lost the rooms, and reads the rooms once more when it ends: a member
   * still missing then is gone.
   */
  #settle(): void {
    clearTimeout(this.#settling);
    // Each of nodeTtlMs and resumeGraceMs fits a timer, but their sum may not.
    const settleMs = Math.min(this.store.settleMs, MAX_TIMER_MS);
    this.#settling = setTimeout(() => {
      this.#settling = undefined;
      this.recovered('events');
    }, settleMs);
    this.#settling.unref();
  }

  /**
   * Holds a frame for a peer that is joining or reconnecting, within `maxPendingSignals`
   * frames and `maxPendingBytes` per peer, and 4 × `maxPendingBytes` per address.
   */
  #hold(peer: LocalPeer, data: string | Buffer): boolean {
    const size = data.length;
    const { maxPendingSignals, maxPendingBytes } = this.options;
    if (!peer.pending) {
      peer.pendingAddress = peer.session?.address ?? peer.pendingAddress;
    } else if (peer.pending.length >= maxPendingSignals) return false;
    if (peer.pendingBytes + size > maxPendingBytes) return false;
    const address = peer.pendingAddress;
    const held = this.#pendingByAddress.get(address) ?? 0;
    if (held + size > maxPendingBytes * PENDING_ADDRESS_FACTOR) return false;
    this.#pendingByAddress.set(address, held + size);
    peer.pending ??= [];
    peer.pending.push(data);
    peer.pendingBytes += size;
    return true;
  }

  /** Drops a peer's held frames from the books. */
  #release(peer: LocalPeer): void {
    if (peer.pendingBytes > 0) {
      const left = (this.#pendingByAddress.get(peer.pendingAddress) ?? 0) - peer.pendingBytes;
      if (left > 0) this.#pendingByAddress.set(peer.pendingAddress, left);
      else this.#pendingByAddress.delete(peer.pendingAddress);
    }
    peer.pending = undefined;
    peer.pendingBytes = 0;
  }

  #sendText(record: MemberRecord, text: string): void {
    if (record.node === this.store.nodeId) this.deliverLocal(record.id, text);
    else this.store.send(record.node, record.id, text);
  }

  /** The peer resumed on another node: hand over what it was owed and let go of it here. */
  #movedAway(record: MemberRecord): void {
    const peer = this.local.peers.get(record.id);
    if (!peer) return;
    const { session } = peer;
    const pending = peer.pending;
    this.local.forget(peer);
    session?.retire();
    for (const data of pending ?? []) {
      if (typeof data === 'string') this.store.send(record.node, record.id, data);
      else this.store.sendRelay(record.node, record.id, data);
    }
  }

  /** After the shared state was rebuilt: tell local peers what changed while it was away. */
  #resync(room: RoomName, snapshot: RoomSnapshot): void {
    const view = this.local.views.get(room);
    if (!view) return;
    const before = new Map(view.members);
    view.reset(snapshot);
    if (this.#settling) {
      // Still being written back by their nodes, which announce them when they have.
      for (const [id, record] of before) {
        if (record.node !== this.store.nodeId && !view.members.has(id))
          view.members.set(id, record);
      }
    }
    const changes: ServerFrame[] = [];
    for (const [id] of before) {
      if (!view.members.has(id))
        changes.push({ type: 'peer-left', peerId: id, reason: 'disconnected' });
    }
    for (const [id, record] of view.members) {
      if (!before.has(id)) changes.push({ type: 'peer-joined', peer: peerInfo(record) });
    }
    for (const id of view.local) {
      const peer = this.local.peers.get(id);
      if (!peer) continue;
      peer.sinceSeq = Math.min(peer.sinceSeq ?? snapshot.seq, snapshot.seq);
      if (!peer.session) continue; // its resume welcome will list the room
      for (const change of changes) {
        const subject =
          change.type === 'peer-left'
            ? change.peerId
            : change.type === 'peer-joined'
              ? change.peer.id
              : '';
        if (subject !== id) this.deliverLocal(id, JSON.stringify(change));
      }
    }
  }
}
