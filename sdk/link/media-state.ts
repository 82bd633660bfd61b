/**
 * Whether audio and video can reach a remote peer (`MediaState` in `../api.js`), from the
 * link's facts. Media needs a WebRTC connection (direct or through TURN); the server's
 * relay carries messages and files only.
 */
import type { ConnectionState, MediaState, TransportMode } from '../api.js';

/** Every media state a link reports: the same objects each time, so a change is `!==`. */
export const MEDIA_STATES = {
  connecting: { state: 'connecting' },
  available: { state: 'available' },
  noDirectPath: {
    state: 'unavailable',
    reason: 'NO_DIRECT_PATH',
    message: 'no direct connection could be made; the relay carries messages and files only',
  },
  relayOnly: {
    state: 'unavailable',
    reason: 'RELAY_ONLY',
    message: 'the room uses transport "relay", which carries messages and files only',
  },
} as const satisfies Record<string, MediaState>;

/**
 * The media state of a link in `mode` whose direct route is in state `direct` (undefined:
 * none now); `waiting`: the first direct route is still expected (before `relayFallbackMs`).
 * A retry on the relay does not count as connecting: the peer stays `unavailable` until a
 * route opens, so an application's notice does not flicker every `directRetryMs`.
 */
export function mediaState(
  mode: TransportMode,
  direct: ConnectionState | undefined,
  waiting: boolean,
): MediaState {
  if (mode === 'relay') return MEDIA_STATES.relayOnly;
  if (direct === 'connected') return MEDIA_STATES.available;
  if (waiting || direct === 'reconnecting') return MEDIA_STATES.connecting;
  return MEDIA_STATES.noDirectPath;
}
