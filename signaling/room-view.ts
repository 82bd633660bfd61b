import type { PeerId } from './protocol.js';
import type { MemberRecord, RoomEvent, RoomSnapshot } from './room-store.js';
import type { TokenBucket } from './token-bucket.js';

/** The most events a view keeps for joins in flight. */
const RECENT_EVENTS = 32;

/**
 * One node's copy of a room it has members in: the membership (which is also the routing
 * table: member → node) and its sequence number. It is built from a snapshot and kept
 * current by the room's events. Events that arrive before that snapshot, or while a local
 * peer's join waits for the store (whose snapshot may then be older than the view), are
 * kept in `recent` to catch them up; once none waits, they are let go (an idle room kept
 * one per member: ~50 B per socket).
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
  /** Local peers' joins (and resumes) waiting for the store, between `joinStarted` and `joinEnded`. */
  #joining = 0;

  get live(): boolean {
    return this.seq >= 0;
  }

  /**
   * Records an event. Answers true when it is new for the view (and has been applied);
   * false when the view already had it or is waiting for its snapshot.
   */
  apply(event: RoomEvent): boolean {
    if (!this.live || this.#joining > 0) {
      this.#recent.push(event);
      if (this.#recent.length > RECENT_EVENTS) this.#recent.shift();
    }
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

  /**
   * A local peer's join or resume is about to ask the store for its snapshot: events
   * from now on are kept until {@link joinEnded} (its {@link catchUp} may need them).
   */
  joinStarted(): void {
    this.#joining += 1;
  }

  /** That join has caught up, or failed: once no join waits, the kept events go. */
  joinEnded(): void {
    this.#joining -= 1;
    if (this.#joining === 0 && this.live) this.#recent.length = 0;
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
