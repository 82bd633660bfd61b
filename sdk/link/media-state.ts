/**
 * Whether audio and video can reach a remote peer (`MediaState` in `../api.js`), from the
 * link's facts. Media takes a WebRTC connection (direct or through TURN) when there is
 * one; while the link is on the relay it takes the relay (`../media/relay/`), whose own
 * state ({@link RelayMediaControl}) the link reports then.
 */
import type { ConnectionState, MediaState, PeerStats, TransportMode } from '../api.js';

/** Every media state a link reports: the same objects each time, so a change is `!==`. */
export const MEDIA_STATES = {
  connecting: { state: 'connecting' },
  available: { state: 'available', route: 'direct' },
  noDirectPath: {
    state: 'unavailable',
    reason: 'NO_DIRECT_PATH',
    message: 'no direct connection could be made, and no relay carries audio and video',
  },
} as const satisfies Record<string, MediaState>;

/** The states of relayed media (`RelayMediaControl.media`). */
export const RELAYED_MEDIA = {
  connecting: MEDIA_STATES.connecting,
  available: { state: 'available', route: 'relay' },
  off: {
    state: 'unavailable',
    reason: 'RELAY_MEDIA_OFF',
    message: 'the server relays messages and files only (relayed audio and video are switched off)',
  },
  noWebCodecs: (why: string): MediaState => ({
    state: 'unavailable',
    reason: 'NO_WEBCODECS',
    message: `audio and video cannot cross the relay: ${why}`,
  }),
} as const;

/**
 * Relayed media to one peer, as the link drives it (made by `../media/relay/relay-media.ts`):
 * on while the link is on the relay with no direct route carrying media, off otherwise.
 */
export interface RelayMediaControl {
  /** On (true): send this peer's media on the relay; off: stop. `onChange` tells of `live` too. */
  setActive(active: boolean): void;
  /** What `peer.media` says while it is on. */
  readonly media: MediaState;
  /** A call runs over the relay: it is on, and media flows one way or both. */
  readonly live: boolean;
  /** Frames relayed each way so far, as `getStats()` shows them on the relay. */
  stats(): Pick<PeerStats, 'inbound' | 'outbound'>;
  /** Stops for good (the link closed). */
  close(): void;
}

/**
 * The media state of a link in `mode` whose direct route is in state `direct` (undefined:
 * none now); `waiting`: the first direct route is still expected (before `relayFallbackMs`);
 * `relayed`: the relayed media's state while it is on. A retry on the relay does not count
 * as connecting, so an application's notice does not flicker every `directRetryMs`.
 */
export function mediaState(
  mode: TransportMode,
  direct: ConnectionState | undefined,
  waiting: boolean,
  relayed: MediaState | undefined,
): MediaState {
  if (relayed) return relayed;
  if (direct === 'connected') return MEDIA_STATES.available;
  if (mode !== 'relay' && (waiting || direct === 'reconnecting')) return MEDIA_STATES.connecting;
  return MEDIA_STATES.noDirectPath;
}
