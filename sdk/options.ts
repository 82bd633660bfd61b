import {
  describeIssue,
  type IceServer,
  IceServers,
  PeerMeta,
  RoomName,
} from '../signaling/protocol.js';
import type { ReconnectSettings } from './client/backoff.js';
import type { SignalingClientOptions, TokenSource } from './client/signaling-client.js';
import type { WebSocketConstructor } from './client/web-socket.js';
import { MIN_SECRET_LENGTH } from './e2ee/room-keys.js';
import { PeerlaneError } from './errors.js';
import { resolveWebRtc, type WebRtcImplementation } from './link/direct/rtc-connection.js';

/** How the signaling connection reconnects after a drop. Every field is optional. */
export interface ReconnectOptions {
  /** Delay before the first attempt, in ms (each delay is jittered into its upper half). @default 250 */
  initialDelayMs?: number;
  /** Longest delay between two attempts, in ms. @default 10000 */
  maxDelayMs?: number;
  /** Each delay is the previous one times this. @default 2 */
  factor?: number;
  /** Attempts in a row before giving up: `SIGNALING_UNREACHABLE`, and the room closes. @default Infinity */
  maxAttempts?: number;
}

/** Options of {@link joinRoom}. Only `url` and `room` are required. */
export interface JoinRoomOptions {
  /** WebSocket URL of the signaling server, e.g. `wss://example.com/ws`. */
  url: string;
  /** Room to join: 1–64 characters of `A–Z a–z 0–9 _ . ~ -`. */
  room: string;
  /** Presence metadata the other peers see (≤ 16 primitive values, ≤ 1 KiB of JSON). @default {} */
  meta?: PeerMeta;
  /**
   * A room token for servers that require one (see the server's `auth`): the token, or a
   * function that fetches a fresh one, called before every (re)connect — so a reconnect
   * after the first token expired still gets in. Sent in the join frame, never in the URL.
   * @default undefined
   */
  token?: TokenSource;
  /**
   * ICE servers (STUN/TURN) for the peer connections. When given, they are used *instead
   * of* the list the signaling server sends in its welcome; `[]` means host candidates
   * only. When absent, the server's list is used (its default is `[]`). The SDK never adds
   * a public STUN or TURN server of its own. Each URL is checked as browsers check it
   * (`stun:`/`stuns:`/`turn:`/`turns:` host[:port], TURN ones with `username` and
   * `credential`): anything else is refused with `INVALID_ARGUMENT`, naming it.
   * @default the server's `welcome.iceServers`
   */
  iceServers?: RTCIceServer[];
  /** `'relay'` forces every connection through TURN. @default 'all' */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** The WebRTC implementation, e.g. `@roamhq/wrtc` in Node. @default the browser's globals */
  wrtc?: WebRtcImplementation;
  /** The WebSocket constructor, e.g. `WebSocket` from `ws` in Node 20. @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** Reconnect timing of the signaling connection, or `false` to close the room when it drops. @default {} */
  reconnect?: ReconnectOptions | false;
  /** How long opening the socket and getting the welcome may take, per attempt, in ms. @default 10000 */
  connectTimeoutMs?: number;
  /** How often the SDK pings the signaling server when all is quiet, in ms. @default 10000 */
  pingIntervalMs?: number;
  /** How long a ping may go unanswered before the socket is presumed dead and replaced, in ms. @default 5000 */
  pingTimeoutMs?: number;
  /** How long the first connection to a peer may take before it is `failed`, in ms. @default 15000 */
  peerConnectTimeoutMs?: number;
  /** How long ICE may stay `disconnected` before the SDK restarts it, in ms (`failed` restarts at once). @default 1000 */
  iceRestartDelayMs?: number;
  /** How long an ICE restart may take before the peer is `failed` (`PEER_UNREACHABLE`), in ms. @default 15000 */
  iceRestartTimeoutMs?: number;
  /**
   * How long a peer that dropped out of presence without leaving on purpose (this peer's
   * signaling reconnected without it, the server restarted, or the server reported it
   * `disconnected`/`timeout`) is kept while the direct connection to it still works, in
   * ms. If it reappears in time nothing is reported at all; if not, or if the connection
   * fails first, `peer-left` follows. @default 20000
   */
  presenceGraceMs?: number;
  /** Largest message, in bytes (UTF-8 for strings), that may be sent or received. @default 67108864 (64 MiB) */
  maxMessageBytes?: number;
  /**
   * What carries messages and files to the other peers:
   * - `'auto'`: a direct WebRTC connection (through TURN if the ICE servers have one).
   *   Messages and files start on the server's WebSocket relay at once and move to the
   *   direct connection the moment it opens. When it stalls or breaks, they move to the
   *   relay within `stallMs` (or on ICE `disconnected`), and back once it works again;
   * - `'relay'`: the relay only; no RTCPeerConnection is ever made. For networks where
   *   WebRTC is blocked, or where the other peers must not learn this peer's IP addresses
   *   (ICE candidates carry them). Media (audio/video) needs WebRTC and is not sent.
   * Without a relay on the server (`RELAY_DISABLED`, or a room token without
   * `perms.relay`), `'auto'` stays direct-only and `'relay'` leaves peers `failed`
   * (`PEER_UNREACHABLE`). @default 'auto'
   */
  transport?: 'auto' | 'relay';
  /**
   * With `transport: 'auto'`: how long a peer's first direct connection is waited for, in
   * ms. After it, a peer without one is reported with media `unavailable`
   * (`NO_DIRECT_PATH`) and the offering side starts retrying every `directRetryMs`; the
   * first attempt goes on in the background until `peerConnectTimeoutMs`. (Messages and
   * files do not wait: they use the relay meanwhile.) Chromium reports nothing at all when
   * no path exists, so only a timer can tell; a direct connection normally opens in well
   * under a second. @default 5000
   */
  relayFallbackMs?: number;
  /**
   * While on the relay with no direct connection: how often the offering side makes a
   * fresh one, in ms (an attempt still under way is replaced). @default 15000
   */
  directRetryMs?: number;
  /**
   * With `transport: 'auto'`: how long data may wait on a direct connection with nothing
   * moving (no acknowledgement, no buffer draining) and nothing heard from the peer there
   * before messages and files move to the relay and an ICE restart begins, in ms. Seconds
   * sooner than ICE notices a dead path. @default 2000
   */
  stallMs?: number;
  /**
   * The most file transfers to a peer may take while a call with it runs, in bytes per
   * second: calls first. On a direct connection less while the call's packets queue (the
   * round-trip time the peer reports stays 50 ms above the call's lowest: the pace halves,
   * down to 32 KiB/s, and grows back by a quarter a second); over the relay this ceiling.
   * Without a call files go as fast as the route takes them. Raise it where files matter
   * more than the call's smoothness. @default 1048576 (1 MiB/s)
   */
  callFilePace?: number;
  /**
   * End-to-end encryption with a room secret that never leaves this peer (share it out of
   * band, e.g. in a link's `#fragment`; at least 16 characters, best random): handshakes
   * are signed with it, so a server that swaps DTLS fingerprints gets no connection, and
   * everything relayed (messages, files) is sealed with AES-GCM. Peers with another secret,
   * or none, are refused with `E2EE_MISMATCH`. See SECURITY.md. @default undefined (off)
   */
  e2ee?: { secret: string };
}

/** {@link JoinRoomOptions} checked and with every default filled in. */
export interface RoomSettings extends SignalingClientOptions {
  iceServers: RTCIceServer[] | undefined;
  iceTransportPolicy: RTCIceTransportPolicy;
  /** Undefined only with `transport: 'relay'`, which makes no RTCPeerConnection. */
  wrtc: WebRtcImplementation | undefined;
  peerConnectTimeoutMs: number;
  iceRestartDelayMs: number;
  iceRestartTimeoutMs: number;
  presenceGraceMs: number;
  maxMessageBytes: number;
  transport: 'auto' | 'relay';
  relayFallbackMs: number;
  directRetryMs: number;
  stallMs: number;
  callFilePace: number;
  e2ee: { secret: string } | undefined;
}

/**
 * Every default of `joinRoom()`, written once: `resolveSettings()` applies these, the JSDoc
 * `@default` tags above and the README's "SDK options" table are tested against them.
 */
export const SDK_DEFAULTS = {
  iceTransportPolicy: 'all',
  transport: 'auto',
  connectTimeoutMs: 10_000,
  pingIntervalMs: 10_000,
  pingTimeoutMs: 5_000,
  peerConnectTimeoutMs: 15_000,
  iceRestartDelayMs: 1_000,
  iceRestartTimeoutMs: 15_000,
  presenceGraceMs: 20_000,
  maxMessageBytes: 64 * 1024 * 1024,
  relayFallbackMs: 5_000,
  directRetryMs: 15_000,
  stallMs: 2_000,
  callFilePace: 1024 * 1024,
  reconnect: {
    initialDelayMs: 250,
    maxDelayMs: 10_000,
    factor: 2,
    maxAttempts: Number.POSITIVE_INFINITY,
  },
} as const;

/** The numeric options: positive integers, in ms or bytes. */
const TIMING_KEYS = [
  'connectTimeoutMs',
  'pingIntervalMs',
  'pingTimeoutMs',
  'peerConnectTimeoutMs',
  'iceRestartDelayMs',
  'iceRestartTimeoutMs',
  'presenceGraceMs',
  'maxMessageBytes',
  'relayFallbackMs',
  'directRetryMs',
  'stallMs',
  'callFilePace',
] as const;

/**
 * The longest a timer waits: a longer `setTimeout` runs after 1 ms instead (Node and
 * browsers alike), so a ping interval of 2^31 ms would ping every millisecond.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The numeric options that are waited for with timers (the others are bytes). */
const TIMER_KEYS: ReadonlySet<string> = new Set(
  TIMING_KEYS.filter((key) => key !== 'maxMessageBytes' && key !== 'callFilePace'),
);

/** Checks options and fills in defaults; throws a PeerlaneError naming the bad option. */
export function resolveSettings(options: JoinRoomOptions): RoomSettings {
  if (typeof options !== 'object' || options === null) invalid('options must be an object');
  const { url, room, meta, iceServers, token } = options;
  const { iceTransportPolicy = SDK_DEFAULTS.iceTransportPolicy } = options;
  if (token !== undefined && typeof token !== 'string' && typeof token !== 'function') {
    invalid('options.token must be a string or a function returning one');
  }
  if (typeof url !== 'string' || !/^wss?:\/\//i.test(url)) {
    invalid(`options.url must be a ws:// or wss:// URL (got ${String(url)})`);
  }
  const roomName = RoomName.safeParse(room);
  if (!roomName.success) invalid(`options.room: ${roomName.error.issues[0]?.message}`);
  if (meta !== undefined) {
    const parsed = PeerMeta.safeParse(meta);
    if (!parsed.success) invalid(`options.meta: ${parsed.error.issues[0]?.message}`);
  }
  if (iceServers !== undefined) {
    if (!Array.isArray(iceServers)) {
      invalid('options.iceServers must be an array of { urls, username?, credential? }');
    }
    const parsed = IceServers.safeParse(iceServers);
    if (!parsed.success) invalid(describeIssue('options.iceServers', parsed.error.issues));
  }
  if (iceTransportPolicy !== 'all' && iceTransportPolicy !== 'relay') {
    invalid(
      `options.iceTransportPolicy must be 'all' or 'relay' (got ${String(iceTransportPolicy)})`,
    );
  }
  const { transport = SDK_DEFAULTS.transport } = options;
  if (transport !== 'auto' && transport !== 'relay') {
    invalid(`options.transport must be 'auto' or 'relay' (got ${String(transport)})`);
  }
  const timing = {} as Record<(typeof TIMING_KEYS)[number], number>;
  for (const key of TIMING_KEYS) {
    timing[key] = SDK_DEFAULTS[key];
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) {
      invalid(`options.${key} must be a positive integer (got ${String(value)})`);
    }
    if (TIMER_KEYS.has(key) && value > MAX_TIMER_MS) {
      invalid(`options.${key} must be at most ${MAX_TIMER_MS} ms, about 24.8 days (got ${value})`);
    }
    timing[key] = value;
  }
  const { e2ee } = options;
  if (e2ee !== undefined) {
    const secret = (e2ee as { secret?: unknown } | null)?.secret;
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      invalid(
        `options.e2ee.secret must be a string of at least ${MIN_SECRET_LENGTH} characters (the server sees MACs made with it, so a short one could be guessed)`,
      );
    }
  }
  const WebSocket =
    options.WebSocket ??
    (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ??
    fail('NO_WEBSOCKET');
  return {
    url,
    room,
    meta,
    token,
    iceServers,
    iceTransportPolicy,
    transport,
    // Forced relay makes no RTCPeerConnection, so it needs no WebRTC implementation.
    wrtc: transport === 'relay' ? options.wrtc : resolveWebRtc(options.wrtc),
    WebSocket,
    reconnect: options.reconnect === false ? null : resolveReconnect(options.reconnect ?? {}),
    e2ee: e2ee === undefined ? undefined : { secret: e2ee.secret },
    ...timing,
  };
}

function resolveReconnect(options: ReconnectOptions): ReconnectSettings {
  const settings: ReconnectSettings = { ...SDK_DEFAULTS.reconnect };
  for (const key of Object.keys(settings) as (keyof ReconnectSettings)[]) {
    const value = options[key];
    if (value === undefined) continue;
    const ok =
      key === 'maxAttempts'
        ? value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && value >= 0)
        : Number.isFinite(value) &&
          value > 0 &&
          (key !== 'factor' || value >= 1) &&
          (key === 'factor' || value <= MAX_TIMER_MS);
    if (!ok) invalid(`options.reconnect.${key} is out of range (got ${String(value)})`);
    settings[key] = value;
  }
  if (settings.maxDelayMs < settings.initialDelayMs) {
    invalid('options.reconnect.maxDelayMs must be at least initialDelayMs');
  }
  return settings;
}

/** The server's ICE servers in the shape RTCPeerConnection takes. */
export function toRtcIceServers(servers: IceServer[]): RTCIceServer[] {
  return servers.map(({ urls, username, credential }) => ({
    urls,
    ...(username === undefined ? {} : { username }),
    ...(credential === undefined ? {} : { credential }),
  }));
}

function invalid(message: string): never {
  throw new PeerlaneError('INVALID_ARGUMENT', message);
}

function fail(code: 'NO_WEBSOCKET'): never {
  throw new PeerlaneError(code);
}
