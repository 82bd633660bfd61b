import { ERROR_CODES } from '../signaling/protocol.js';

/**
 * Codes of errors the SDK raises itself, beside the server's {@link ERROR_CODES}, with
 * what each means. Match errors by `code`, never by message text.
 */
export const SDK_ERROR_CODES = {
  INVALID_ARGUMENT: 'An option or argument is missing, of the wrong type or out of range.',
  NO_WEBSOCKET:
    'No WebSocket implementation: pass `WebSocket` (e.g. from the `ws` package) where there is no global one (Node 20).',
  NO_WEBRTC:
    'No usable WebRTC: pass `wrtc` (e.g. `@roamhq/wrtc`) where there is no global RTCPeerConnection (Node); or RTCPeerConnection refused to be made (`cause` has its error) — the peer is then carried by the relay, or `failed` without one.',
  SIGNALING_UNREACHABLE:
    'The signaling server could not be reached, or reconnecting gave up after `reconnect.maxAttempts`.',
  JOIN_TIMEOUT: 'The signaling server did not answer the join within `connectTimeoutMs`.',
  TOKEN_UNAVAILABLE: 'The `token` function threw or rejected, so the join could not be sent.',
  SIGNALING_CLOSED:
    'The signaling server closed the connection for good (policy violation, session replaced…); the room is closed.',
  PROTOCOL_ERROR:
    'The signaling server sent a frame the SDK does not understand; it was ignored. Before a welcome, the join fails with it: the URL is not a Peerlane signaling server.',
  PEER_UNREACHABLE:
    'No direct connection to the peer could be made (`peerConnectTimeoutMs`) or restored (`iceRestartTimeoutMs`).',
  PEER_LEFT: 'The peer has left the room; nothing more can be sent to it.',
  LEFT_ROOM: 'This room has been left or closed; nothing more can be sent through it.',
  MESSAGE_TOO_LARGE:
    'A message is larger than `maxMessageBytes`: refused when sending, dropped when receiving.',
  INVALID_DATA:
    'A peer sent data-channel bytes that are not a valid Peerlane frame, or (with `e2ee`) a relayed frame that does not open; they were dropped.',
  E2EE_MISMATCH:
    "With `e2ee`: a peer's handshake or relayed data is not sealed with this room's secret (it has another secret or none, or the server tampered); the peer is refused (`failed`).",
  MEDIA_UNAVAILABLE:
    'A camera, microphone or screen could not be captured (permission denied, picker cancelled, no such device, or no `navigator.mediaDevices`); `cause` has the browser error.',
  TRANSFER_CANCELLED: 'The file transfer was cancelled, by this side or by the other.',
  TRANSFER_REJECTED: 'The receiver declined the file (`incoming.reject()`, or no listener).',
  INTEGRITY_FAILED:
    "The received file's SHA-256 does not match the sender's; the file was discarded.",
  SOURCE_UNREADABLE:
    'The file to send could not be read (or gave another number of bytes than its size).',
  SINK_UNWRITABLE:
    'The received file could not be written to the WritableStream given to accept().',
  TRANSFER_FAILED: 'The other side broke the file-transfer protocol; the transfer was ended.',
} as const;

/** Every code a {@link PeerlaneError} may carry: the server's and the SDK's, each with its meaning. */
export const PEERLANE_ERROR_CODES = { ...ERROR_CODES, ...SDK_ERROR_CODES } as const;

/** One of the codes in {@link PEERLANE_ERROR_CODES}. */
export type PeerlaneErrorCode = keyof typeof PEERLANE_ERROR_CODES;

/** Extra details of a {@link PeerlaneError}. */
export interface PeerlaneErrorOptions {
  /** The peer the error concerns, when there is one. */
  peerId?: string;
  /** The underlying error (a WebSocket or WebRTC failure), when there is one. */
  cause?: unknown;
}

/**
 * The one error class of the SDK. `code` says what happened (see
 * {@link PEERLANE_ERROR_CODES}); `message` adds the specifics and may change between
 * versions.
 *
 * @example
 * room.on('error', (error) => {
 *   if (error.code === 'PEER_UNREACHABLE') showBadge(error.peerId);
 * });
 */
export class PeerlaneError extends Error {
  override readonly name = 'PeerlaneError';
  readonly code: PeerlaneErrorCode;
  /** The peer the error concerns, when there is one. */
  readonly peerId: string | undefined;

  constructor(
    code: PeerlaneErrorCode,
    message: string = PEERLANE_ERROR_CODES[code],
    options: PeerlaneErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.peerId = options.peerId;
  }
}
