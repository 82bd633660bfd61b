import type { Server as HttpServer } from 'node:http';
import { type AuthOptions, validateAuthOptions } from './auth.js';
import type { Logger } from './logger.js';
import {
  describeIssue,
  type IceServer,
  IceServers,
  MIN_RELAY_CHUNK,
  MIN_RELAY_WINDOW,
  RELAY_HEADER_BYTES,
} from './protocol.js';
import { type TurnOptions, validateTurnOptions } from './turn.js';

/** Options of {@link createSignalingServer}. Every one is optional. */
/** A certificate chain and its private key, PEM-encoded. */
export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface SignalingServerOptions {
  /** TCP port to listen on; `0` picks a free one. Ignored when `server` is given. @default 8080 */
  port?: number;
  /** Interface to listen on. Ignored when `server` is given. @default '127.0.0.1' */
  host?: string;
  /**
   * An existing HTTP server to attach to instead of creating one. Its other routes and
   * upgrade handlers keep working; `close()` leaves it listening.
   */
  server?: HttpServer;
  /**
   * PEM certificate chain and private key: the server it creates speaks https and wss
   * (`url` starts with `wss://`). Ignored when `server` is given (an attached `https.Server`
   * is recognised by itself). @default none (plain http and ws)
   */
  tls?: TlsFiles;
  /** URL path of the WebSocket endpoint. @default '/ws' */
  path?: string;
  /**
   * Largest frame accepted, in bytes, at least 1023; larger ones get `FRAME_TOO_LARGE`, and
   * ones over 4× are cut with 1009. The SDP of a call is some KiB: keep room for it.
   * @default 65536
   */
  maxPayload?: number;
  /** Peers one room may hold. @default 50 */
  maxPeersPerRoom?: number;
  /** Rooms the server may hold at once. @default 10000 */
  maxRooms?: number;
  /**
   * Rooms the peers from one IP address may be in at once on this node (a room counts while
   * one of them is in it, or reconnecting to it); more get `TOO_MANY_ROOMS`. @default 20
   */
  maxRoomsPerIp?: number;
  /** Sustained frames per second one connection may send. @default 100 */
  rateLimit?: number;
  /** Frames one connection may send in a burst above `rateLimit`. @default 300 */
  rateBurst?: number;
  /**
   * Presence changes (`join`, `leave`, `meta`) per second one connection may make, in
   * bursts of 5× this: each one is a frame to every other member of the room. @default 2
   */
  metaRateLimit?: number;
  /** Invalid or rate-limited frames tolerated within 10 s before closing with 1008. @default 20 */
  maxViolations?: number;
  /** Bytes the server may queue for a client that does not read before dropping it (4002). @default 1048576 */
  maxBufferedBytes?: number;
  /** How often the server pings each connection, in ms. @default 30000 */
  heartbeatIntervalMs?: number;
  /**
   * How long after a ping the client has to send something (its pong, or any frame) before
   * the connection is cut as dead (4000), in ms. @default 10000
   */
  heartbeatTimeoutMs?: number;
  /** How long a dropped peer keeps its id and room membership awaiting a resume, in ms. @default 20000 */
  resumeGraceMs?: number;
  /** Signals held for a peer that is reconnecting, delivered when it resumes. @default 256 */
  maxPendingSignals?: number;
  /**
   * Bytes held for one reconnecting peer (its pending signals and presence frames); the
   * peers dropped from one address share 4× this. Over it, senders get `PEER_NOT_FOUND`.
   * @default 262144
   */
  maxPendingBytes?: number;
  /** How long `close()` waits for clients to close before cutting them, in ms. @default 5000 */
  shutdownTimeoutMs?: number;
  /** ICE servers handed to every peer in `welcome`. Never a public default. @default [] */
  iceServers?: IceServer[];
  /**
   * A TURN server sharing a secret with this server: each peer gets its own time-limited
   * credentials in `welcome.iceServers`, after `iceServers`. @default undefined
   */
  turn?: TurnOptions;
  /** Carry peer data over the WebSocket relay for peers that cannot connect directly. @default true */
  relay?: boolean;
  /**
   * Let the relay carry audio and video too (WebCodecs frames from the SDK), not only
   * messages and files. Peers learn it from their welcome (`relay.media`). @default true
   */
  relayMedia?: boolean;
  /** Relay bytes a sender may have in flight to one receiver (the credit window), at least 4096. @default 524288 */
  relayWindow?: number;
  /** Relay bytes per second one connection may send; beyond it the server stops reading it a while. @default 8388608 */
  relayRateLimit?: number;
  /** Relay bytes per second one room may carry on this node. @default 33554432 */
  relayRoomRateLimit?: number;
  /**
   * Relay bytes per second this node may publish to the other nodes through Redis, all
   * senders together; beyond it the server stops reading the senders a while, so a relay
   * flood cannot overrun Redis's pub/sub buffers. @default 33554432
   */
  relayNodeRateLimit?: number;
  /** Require a room token (JWT) in every `join`. @default undefined (no tokens) */
  auth?: AuthOptions;
  /**
   * Browser origins allowed to connect (`https://app.example.com`; `'*'` for any). Clients
   * that send no `Origin` (not browsers) are always allowed. @default undefined (any origin)
   */
  allowedOrigins?: string[];
  /**
   * Open connections one IP address may hold; more get HTTP 429. The same number caps the
   * connections one address may have still sending their HTTP request head. @default 100
   */
  maxConnectionsPerIp?: number;
  /** How long a new connection may take to send its HTTP upgrade request, in ms; slower ones are cut. @default 5000 */
  handshakeTimeoutMs?: number;
  /** Sustained joins per second one IP address may make. @default 5 */
  joinRateLimit?: number;
  /** Joins one IP address may make in a burst above `joinRateLimit`. @default 20 */
  joinRateBurst?: number;
  /**
   * Take the client address from `X-Forwarded-For` (only behind a proxy you run): `true`
   * takes the hop your proxy appended (the last); a number n takes the n-th from the end,
   * for a chain of n proxies you run. Earlier hops are the client's own words. @default false
   */
  trustProxy?: boolean | number;
  /**
   * Share rooms with other nodes through this Redis (`redis://host:6379/0`), so peers on
   * different nodes behind a load balancer meet. @default undefined (rooms in memory)
   */
  redisUrl?: string;
  /** With Redis: prefix of every key and channel, to share one Redis between deployments. @default 'peerlane:' */
  redisPrefix?: string;
  /** Where the server logs (a pino logger fits). @default silent */
  logger?: Logger;
  /** This node's id in the cluster, in logs and metrics. @default random */
  nodeId?: string;
  /**
   * With Redis: how long a node may go silent before the others consider it dead and, after
   * `resumeGraceMs`, remove its peers. @default 10000
   */
  nodeTtlMs?: number;
}

type Unset =
  | 'server'
  | 'tls'
  | 'auth'
  | 'allowedOrigins'
  | 'redisUrl'
  | 'nodeId'
  | 'logger'
  | 'turn';

/** {@link SignalingServerOptions} with every default filled in. */
export type ResolvedOptions = Required<Omit<SignalingServerOptions, Unset>> &
  Pick<SignalingServerOptions, Unset>;

export const DEFAULT_OPTIONS: Omit<ResolvedOptions, Unset> = {
  port: 8080,
  host: '127.0.0.1',
  path: '/ws',
  maxPayload: 64 * 1024,
  maxPeersPerRoom: 50,
  maxRooms: 10_000,
  maxRoomsPerIp: 20,
  rateLimit: 100,
  rateBurst: 300,
  metaRateLimit: 2,
  maxViolations: 20,
  maxBufferedBytes: 1024 * 1024,
  heartbeatIntervalMs: 30_000,
  heartbeatTimeoutMs: 10_000,
  resumeGraceMs: 20_000,
  maxPendingSignals: 256,
  maxPendingBytes: 256 * 1024,
  shutdownTimeoutMs: 5_000,
  iceServers: [],
  maxConnectionsPerIp: 100,
  handshakeTimeoutMs: 5_000,
  joinRateLimit: 5,
  joinRateBurst: 20,
  trustProxy: false,
  nodeTtlMs: 10_000,
  redisPrefix: 'peerlane:',
  relay: true,
  relayMedia: true,
  relayWindow: 512 * 1024,
  relayRateLimit: 8 * 1024 * 1024,
  relayRoomRateLimit: 32 * 1024 * 1024,
  relayNodeRateLimit: 32 * 1024 * 1024,
};

const positiveIntegers = [
  'maxPayload',
  'maxPeersPerRoom',
  'maxRooms',
  'maxRoomsPerIp',
  'rateLimit',
  'rateBurst',
  'metaRateLimit',
  'maxViolations',
  'maxBufferedBytes',
  'heartbeatIntervalMs',
  'heartbeatTimeoutMs',
  'maxPendingSignals',
  'maxPendingBytes',
  'maxConnectionsPerIp',
  'handshakeTimeoutMs',
  'joinRateLimit',
  'joinRateBurst',
  'nodeTtlMs',
  'relayWindow',
  'relayRateLimit',
  'relayRoomRateLimit',
  'relayNodeRateLimit',
] as const;

/**
 * The longest a Node timer waits: a longer `setTimeout` runs after 1 ms instead (with only a
 * `TimeoutOverflowWarning`), so a grace period of 2^31 ms would drop a peer at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The options that are waited for with timers. */
const timerOptions = [
  'heartbeatIntervalMs',
  'heartbeatTimeoutMs',
  'resumeGraceMs',
  'shutdownTimeoutMs',
  'handshakeTimeoutMs',
  'nodeTtlMs',
] as const;

/** What a node id may be: it names the node's keys and channels in Redis. */
export const NODE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** Fills in defaults and rejects nonsense with a `TypeError` naming the option. */
export function resolveOptions(options: SignalingServerOptions): ResolvedOptions {
  const defined = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as SignalingServerOptions;
  const resolved: ResolvedOptions = { ...DEFAULT_OPTIONS, ...defined };
  for (const key of positiveIntegers) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value <= 0) {
      throw new TypeError(`options.${key} must be a positive integer (got ${String(value)})`);
    }
  }
  for (const key of ['resumeGraceMs', 'shutdownTimeoutMs', 'port'] as const) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value < 0) {
      throw new TypeError(`options.${key} must be a non-negative integer (got ${String(value)})`);
    }
  }
  for (const key of timerOptions) {
    if (resolved[key] > MAX_TIMER_MS) {
      throw new TypeError(
        `options.${key} must be at most ${MAX_TIMER_MS} ms, about 24.8 days (got ${resolved[key]})`,
      );
    }
  }
  if (resolved.relayWindow < MIN_RELAY_WINDOW) {
    throw new TypeError(
      `options.relayWindow must be at least ${MIN_RELAY_WINDOW} bytes, so that relayed data can be cut into pieces credit comes back for (got ${resolved.relayWindow})`,
    );
  }
  if (resolved.maxPayload < MIN_RELAY_CHUNK + RELAY_HEADER_BYTES) {
    throw new TypeError(
      `options.maxPayload must be at least ${MIN_RELAY_CHUNK + RELAY_HEADER_BYTES} bytes, the smallest relay frame a client must be able to send (got ${resolved.maxPayload})`,
    );
  }
  if (resolved.port > 65_535) {
    throw new TypeError(`options.port must be a port number, 0 to 65535 (got ${resolved.port})`);
  }
  const proxies = resolved.trustProxy;
  if (typeof proxies !== 'boolean' && !(Number.isInteger(proxies) && proxies > 0)) {
    throw new TypeError(
      `options.trustProxy must be true, false or a positive integer (got ${String(proxies)})`,
    );
  }
  if (!resolved.path.startsWith('/')) {
    throw new TypeError(`options.path must start with "/" (got ${resolved.path})`);
  }
  const iceServers = IceServers.safeParse(resolved.iceServers);
  if (!iceServers.success) {
    throw new TypeError(describeIssue('options.iceServers', iceServers.error.issues));
  }
  // Checked with or without Redis: a node id that only a later move to Redis refuses is a
  // deployment that stops starting when it scales out.
  if (resolved.nodeId !== undefined && !NODE_ID.test(resolved.nodeId)) {
    throw new TypeError(`options.nodeId must match ${NODE_ID} (got ${resolved.nodeId})`);
  }
  if (resolved.auth) validateAuthOptions(resolved.auth);
  if (resolved.turn) validateTurnOptions(resolved.turn);
  return resolved;
}
