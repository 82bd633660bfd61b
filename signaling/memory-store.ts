import { randomBytes } from 'node:crypto';
import type { PeerId, RoomName } from './protocol.js';
import type {
  AddResult,
  MemberRecord,
  RoomEvent,
  RoomSnapshot,
  RoomStore,
  StoreListener,
} from './room-store.js';

interface Room {
  seq: number;
  members: Map<PeerId, MemberRecord>;
}

/**
 * Room state in this process: two maps, room → members and (through the records) member →
 * room. The default store: zero setup, one node. Events are delivered synchronously.
 */
export function createMemoryStore(nodeId = randomBytes(6).toString('base64url')): RoomStore {
  const rooms = new Map<RoomName, Room>();
  let listener: StoreListener | undefined;
  // Each event is made whole, `seq` first, in one literal: numbered after it was made, it
  // held `seq` out of its object (+40 B), and a spread copy had a hidden class of its own
  // (~170 B) — kept per member in the room views' recent events.
  const emit = (event: RoomEvent): void => listener?.roomEvent(event);
  const snapshot = (room: Room): RoomSnapshot => ({
    seq: room.seq,
    members: [...room.members.values()],
  });

  return {
    nodeId,
    ready: true,
    settleMs: 0,
    async start(l) {
      listener = l;
    },
    watch() {},
    unwatch() {},
    add(record, { maxRooms, roomLimit }): AddResult {
      let room = rooms.get(record.room);
      if (!room) {
        if (rooms.size >= maxRooms) return { ok: false, refusal: 'TOO_MANY_ROOMS' };
        room = { seq: 0, members: new Map() };
        rooms.set(record.room, room);
      } else if (room.members.size >= roomLimit) {
        return { ok: false, refusal: 'ROOM_FULL' };
      }
      const before = snapshot(room);
      room.members.set(record.id, record);
      emit({ seq: ++room.seq, kind: 'joined', record });
      return { ok: true, ...before };
    },
    remove(name, id, reason) {
      const room = rooms.get(name);
      if (!room?.members.delete(id)) return false;
      emit({ seq: ++room.seq, kind: 'left', room: name, id, reason });
      if (room.members.size === 0) rooms.delete(name);
      return true;
    },
    update(record) {
      const room = rooms.get(record.room);
      if (!room?.members.has(record.id)) return;
      room.members.set(record.id, record);
      emit({ seq: ++room.seq, kind: 'updated', record });
    },
    claim(name, id) {
      const room = rooms.get(name);
      return room?.members.has(id) ? snapshot(room) : undefined;
    },
    send(_node, peerId, text) {
      listener?.deliver(peerId, text);
      return listener !== undefined;
    },
    sendRelay(_node, peerId, frame) {
      listener?.deliverRelay(peerId, frame);
    },
    restore(local) {
      return this.read([...local.keys()]);
    },
    read(names) {
      return new Map(
        names.map((name) => [name, snapshot(rooms.get(name) ?? { seq: 0, members: new Map() })]),
      );
    },
    async close() {
      rooms.clear();
    },
  };
}
