/**
 * A relay route sealed end to end: its message and bulk lanes wrapped in
 * {@link SealedLane}s, keyed for this pair of peers. One per relay route (a peer's relay
 * route lives as long as the peer is in the room), so its key id, sequence numbers and
 * replay records outlive links.
 */
import type { PeerId } from '../../signaling/protocol.js';
import type { Route } from '../link/lane.js';
import type { RoomKeys } from './room-keys.js';
import { toBase64Url } from './room-keys.js';
import { type LaneKeys, newKeyId, SealedLane, type SealProblems } from './sealed-lane.js';

/** Key ids of the peer kept derived (it changes its id only when it reloads). */
const MAX_KEY_IDS = 4;

/** Seals `route` (the relay route to `remoteId`) under the room's keys. */
export function sealRoute(
  route: Route,
  keys: RoomKeys,
  selfId: PeerId,
  remoteId: PeerId,
  problems: {
    onMismatch(reason: string): void;
    /** A frame of `lane` was dropped. */
    onInvalid(lane: 'message' | 'bulk', reason: string): void;
  },
): Route {
  const keyId = newKeyId();
  const laneKeys = (lane: string): LaneKeys => {
    const opened = new Map<string, Promise<CryptoKey>>();
    return {
      keyId,
      seal: keys.relayKey(selfId, remoteId, lane, toBase64Url(keyId)),
      open(id) {
        let key = opened.get(id);
        if (!key) {
          key = keys.relayKey(remoteId, selfId, lane, id);
          opened.set(id, key);
          // A peer uses one key id per route; a flood of new ones costs a bounded map.
          if (opened.size > MAX_KEY_IDS) opened.delete(opened.keys().next().value as string);
        }
        return key;
      },
    };
  };
  const trust = { opened: false };
  const on = (lane: 'message' | 'bulk'): SealProblems => ({
    trust,
    onMismatch: problems.onMismatch,
    onInvalid: (reason) => problems.onInvalid(lane, reason),
  });
  return {
    message: new SealedLane(route.message, laneKeys('message'), on('message')),
    bulk: new SealedLane(route.bulk, laneKeys('bulk'), on('bulk')),
  };
}
