/**
 * A relay route sealed end to end: its message and bulk lanes wrapped in
 * {@link SealedLane}s and its media in a {@link SealedMedia}, keyed for this pair of peers. One per relay route (a peer's relay
 * route lives as long as the peer is in the room), so its key id, sequence numbers and
 * replay records outlive links.
 */
import type { PeerId } from '../../signaling/protocol.js';
import type { Route } from '../link/lane.js';
import type { MediaRoute } from '../link/relay/relay-route.js';
import type { RoomKeys } from './room-keys.js';
import { toBase64Url } from './room-keys.js';
import { newKeyId } from './sealed-frame.js';
import {
  type LaneKeys,
  type LaneRecord,
  newLaneRecord,
  SealedLane,
  type SealProblems,
} from './sealed-lane.js';
import { type MediaRecord, newMediaRecord, SealedMedia } from './sealed-media.js';

/** A sealed relay route: its lanes, and its media when the route carries media. */
export interface SealedRoute extends Route {
  readonly mediaRoute: SealedMedia | undefined;
}

/**
 * What this side has taken from one peer, lane by lane: kept for the peer beyond any one
 * route (see `LaneRecord`), so a route made anew never takes the peer's old frames again.
 */
export interface PeerRecord {
  /** Whether anything from the peer has opened (then a frame that does not is tampering). */
  readonly trust: { opened: boolean };
  readonly message: LaneRecord;
  readonly bulk: LaneRecord;
  readonly media: MediaRecord;
}

/** A record of a peer nothing has been taken from yet. */
export function newPeerRecord(): PeerRecord {
  return {
    trust: { opened: false },
    message: newLaneRecord(),
    bulk: newLaneRecord(),
    media: newMediaRecord(),
  };
}

/** Key ids of the peer kept derived (it changes its id only when it reloads). */
const MAX_KEY_IDS = 4;

/**
 * Seals `route` (the relay route to `remoteId`) under the room's keys: its lanes, and its
 * media when it is a {@link MediaRoute} too. `record`: what was taken from the peer before,
 * by earlier routes to it (a new one when there were none).
 */
export function sealRoute(
  route: Route & Partial<MediaRoute>,
  keys: RoomKeys,
  selfId: PeerId,
  remoteId: PeerId,
  problems: {
    onMismatch(reason: string): void;
    /** A frame of `lane` was dropped. */
    onInvalid(lane: 'message' | 'bulk', reason: string): void;
  },
  record: PeerRecord = newPeerRecord(),
): SealedRoute {
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
  const { trust } = record;
  const on = (lane: 'message' | 'bulk'): SealProblems => ({
    trust,
    onMismatch: problems.onMismatch,
    onInvalid: (reason) => problems.onInvalid(lane, reason),
  });
  return {
    message: new SealedLane(route.message, laneKeys('message'), on('message'), record.message),
    bulk: new SealedLane(route.bulk, laneKeys('bulk'), on('bulk'), record.bulk),
    mediaRoute: isMediaRoute(route)
      ? new SealedMedia(
          route,
          laneKeys('media'),
          { trust, onMismatch: problems.onMismatch },
          record.media,
        )
      : undefined,
  };
}

function isMediaRoute(route: Partial<MediaRoute>): route is MediaRoute {
  return typeof route.sendMedia === 'function';
}
