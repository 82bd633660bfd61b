import type { PeerId } from './protocol.js';
import type { MemberRecord, RoomEvent, RoomSnapshot } from './room-store.js';
import type { TokenBucket } from './token-bucket.js';

/** Events a view remembers, to bring a member that joins late up to date. */
const RECENT_EVENTS = 32;

/**
 * One node's copy of a room it has members in: the membership (which is also the routing
 * table: member → node) and its sequence number. It is built from a snapshot and kept
 * current by the room's events; events that arrive before the snapshot wait in `recent`.
 */
export class RoomView {
  readonly members = new Map<PeerId, MemberRecord>();
  /** This node's members of the room (joined, joining or reconnecting). */
  readonly local = new Set<PeerId>();
  /** This node's budget for relay bytes in the room, made on first use. */
  relayRate: TokenBucket | undefined;
  /** Sequence of the last event applied; -1 until the first snapshot. */
  seq = -1;
  readonly #recent: RoomEvent[] = [];

  get live(): boolean {
    return this.seq >= 0;
  }

  /**
   * Records an event. Answers true when it is new for the view (and has been applied);
   * false when the view already had it or is waiting for its snapshot.
   */
  apply(event: RoomEvent): boolean {
    this.#recent.push(event);
    if (this.#recent.length > RECENT_EVENTS) this.#recent.shift();
    if (!this.live || event.seq <= this.seq) return false;
    this.#applyToMembers(event);
    this.seq = event.seq;
    return true;
  }

  /**
   * Makes the view current from a snapshot if it was waiting for one, and answers with
   * the events after the snapshot that a member joining with it has not seen.
   */
  catchUp(snapshot: RoomSnapshot): RoomEvent[] {
    if (!this.live) {
      for (const member of snapshot.members) this.members.set(member.id, member);
      this.seq = snapshot.seq;
      for (const event of this.#recent) {
        if (event.seq > this.seq) {
          this.#applyToMembers(event);
          this.seq = event.seq;
        }
      }
    }
    return this.#recent.filter((event) => event.seq > snapshot.seq && event.seq <= this.seq);
  }

  /** Replaces the membership wholesale (after the shared state was rebuilt). */
  reset(snapshot: RoomSnapshot): void {
    this.members.clear();
    for (const member of snapshot.members) this.members.set(member.id, member);
    this.seq = snapshot.seq;
    this.#recent.length = 0;
  }

  #applyToMembers(event: RoomEvent): void {
    if (event.kind === 'left') this.members.delete(event.id);
    else this.members.set(event.record.id, event.record);
  }
}
