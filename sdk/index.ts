/**
 * Peerlane SDK: join a room, connect directly to every peer in it, and exchange messages.
 *
 * ```ts
 * import { joinRoom, PeerlaneError } from 'peerlane';
 *
 * const room = await joinRoom({
 *   url,                  // signaling WebSocket URL (required)
 *   room: 'name',         // required
 *   meta, token, iceServers, iceTransportPolicy, transport, wrtc, WebSocket, reconnect,
 *   connectTimeoutMs, pingIntervalMs, pingTimeoutMs, peerConnectTimeoutMs,
 *   iceRestartDelayMs, iceRestartTimeoutMs, presenceGraceMs, maxMessageBytes,
 *   relayFallbackMs, directRetryMs, // each documented, with its default, in JoinRoomOptions
 * }); // resolves after the welcome; rejects with a PeerlaneError
 *
 * room.selfId; room.name; room.signalingState;
 * room.peers;             // RemotePeer[]
 * room.peer(id);          // RemotePeer | undefined
 * room.on('peer-joined', (peer) => …);
 * room.on('peer-left', (peer, reason) => …);   // 'left' | 'disconnected' | 'timeout' | 'kicked' | 'missing'
 * room.on('peer-updated', (peer) => …);
 * room.on('message', (data, peer) => …);       // data: string | Uint8Array, as sent
 * room.on('connection-state', (peer, state) => …); // 'connecting' | 'connected' | 'reconnecting' | 'failed'
 * room.on('signaling-state', (state) => …);    // 'connected' | 'reconnecting' | 'closed'
 * room.on('error', (error) => …);              // PeerlaneError; error.code, error.peerId
 * room.off(event, listener);
 * room.broadcast(data);   // string | Uint8Array | ArrayBuffer
 * room.setMeta(meta);     // the others get 'peer-updated'
 * await room.leave();     // always resolves
 *
 * peer.id; peer.meta; peer.state; peer.bufferedAmount;
 * peer.identity; peer.perms; // from its room token (servers that check tokens); broadcasts
 *                         //   from a peer without perms.broadcast are dropped (FORBIDDEN error)
 * peer.transport;         // 'direct' | 'turn' | 'relay' | undefined (connecting);
 * room.on('transport-change', (peer, transport) => …);
 * peer.send(data);        // string | Uint8Array | ArrayBuffer; queued until connected
 *
 * // Files: own data channel, back-pressure end to end, SHA-256 checked, resumes after a break.
 * const transfer = peer.sendFile(source, { name, type, size }); // Blob/File | ReadableStream |
 *                         //   AsyncIterable<Uint8Array> | Node path; name/type default to the
 *                         //   File's or the path's; size: only for a stream, default unknown
 * room.sendFile(blobOrPath, options);  // one transfer per peer (not a stream: read once)
 * transfer.on('progress', ({ bytesTransferred, bytesConfirmed, size, bytesPerSecond, etaMs }) => …);
 * transfer.on('state', (state) => …); // offered | transferring | paused | verifying | complete | failed
 * await transfer.done;    // receiver verified it; rejects with error.code: TRANSFER_CANCELLED,
 *                         //   TRANSFER_REJECTED, INTEGRITY_FAILED, SOURCE_UNREADABLE,
 *                         //   SINK_UNWRITABLE, TRANSFER_FAILED, PEER_LEFT, LEFT_ROOM
 * transfer.cancel(reason);
 * room.on('incoming-file', (incoming) => {   // incoming.from, .name, .size (undefined: unknown), .type
 *   const receiving = incoming.accept();    // receiving.done → Blob; same events as a transfer
 *   incoming.accept({ writable, windowBytes }); // into a WritableStream; windowBytes 4 MiB
 *   incoming.reject(reason);                // no listener at all: every offer is rejected
 * });
 * peer.stream;            // MediaStream | undefined: its audio/video, while it sends any
 * await peer.getStats();  // { transport: 'webrtc' | 'relay' (the server's relay: no numbers),
 *                         //   pairType: 'host' | 'srflx' | 'turn' | 'unknown', rttMs,
 *                         //   bitrateInKbps, bitrateOutKbps, inbound, outbound, … }
 *
 * // Media: one microphone and one camera (or screen) per peer, sent to every peer.
 * room.media.publish(await navigator.mediaDevices.getUserMedia({ audio: true, video: true }));
 * room.on('stream', (stream, peer) => { video.srcObject = stream; }); // again when tracks change
 * room.on('stream-ended', (stream, peer) => …); // unpublished, left, or connection closed
 * room.media.setAudioEnabled(false);  // mute: nothing sent, no renegotiation (also setVideoEnabled)
 * await room.media.switchCamera(deviceId);
 * await room.media.shareScreen();     // replaces the camera; back to it when the share ends
 * room.media.stopScreenShare();
 * room.media.unpublish();
 * room.media.stream;      // the local preview; room.media.on('change', …) when it changes
 * ```
 *
 * @packageDocumentation
 */
export type {
  AcceptOptions,
  CandidatePath,
  ConnectionState,
  FileSource,
  FileTransfer,
  FileTransferEvents,
  IncomingFile,
  MediaState,
  MessageData,
  PairType,
  PeerLeftReason,
  PeerStats,
  RemotePeer,
  RoomEvents,
  RoomSignalingState,
  RtpCounts,
  SendData,
  SendFileOptions,
  StatsTransport,
  TransferProgress,
  TransferState,
  TransportKind,
  TransportMode,
} from './api.js';
export type { TokenSource } from './client/signaling-client.js';
export type { WebSocketConstructor, WebSocketLike } from './client/web-socket.js';
export type { EventMap } from './emitter.js';
export {
  PEERLANE_ERROR_CODES,
  PeerlaneError,
  type PeerlaneErrorCode,
  type PeerlaneErrorOptions,
  SDK_ERROR_CODES,
} from './errors.js';
export { joinRoom } from './join-room.js';
export type { WebRtcImplementation } from './link/direct/rtc-connection.js';
export type { LocalMedia, LocalMediaEvents } from './media/local-media.js';
export type { MediaKind } from './media/peer-media.js';
export type { JoinRoomOptions, ReconnectOptions } from './options.js';
export type { Room } from './room/room.js';
