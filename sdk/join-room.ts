import { type JoinRoomOptions, resolveSettings } from './options.js';
import { Room } from './room/room.js';

/**
 * Joins a room on a Peerlane signaling server and connects directly (WebRTC data
 * channels, a full mesh) to every other peer in it.
 *
 * Resolves once the server has welcomed this peer: `room.selfId` is set and `room.peers`
 * lists the peers already there (their connections are still `connecting`; messages sent
 * to them now are queued). A join the server refuses for a moment (`RATE_LIMITED`: many
 * joins from one address at once; `SHUTTING_DOWN`: a node going away; `UNAVAILABLE`,
 * `AUTH_UNAVAILABLE`, `INTERNAL_ERROR`) is tried again on a new connection, after the
 * `reconnect` delays, within `connectTimeoutMs`; any other failure of the first connection
 * rejects at once. Reconnecting proper starts after a successful join.
 *
 * @throws PeerlaneError (as a rejection): `INVALID_ARGUMENT`, `NO_WEBSOCKET`, `NO_WEBRTC`,
 * `SIGNALING_UNREACHABLE`, `JOIN_TIMEOUT`, or the server's refusal (`ROOM_FULL`,
 * `UNSUPPORTED_VERSION`, …).
 *
 * @example
 * import { WebSocket } from 'ws';
 * import wrtc from '@roamhq/wrtc';
 * const room = await joinRoom({ url: 'ws://127.0.0.1:8080/ws', room: 'lobby', WebSocket, wrtc });
 * room.on('message', (data, peer) => console.log(peer.id, data));
 * room.broadcast('hello');
 */
export async function joinRoom(options: JoinRoomOptions): Promise<Room> {
  return Room.open(resolveSettings(options));
}
