/**
 * The CLI's settings: one table (flag, environment variable, option, parser) that the
 * parser, `--help` and the README test all read. Over 300 lines only because it has a row
 * for every setting.
 */
import type { AuthOptions } from './auth.js';
import { DEFAULT_OPTIONS, type SignalingServerOptions } from './options.js';
import { describeIssue, IceServers } from './protocol.js';
import type { TurnOptions } from './turn.js';

/** One setting of the CLI: its flag, its environment variable and what it sets. */
interface Setting {
  flag: string;
  env: string;
  /** The option it sets; `auth.x` sets `options.auth.x`. */
  key:
    | keyof SignalingServerOptions
    | `auth.${keyof AuthOptions}`
    | `turn.${keyof TurnOptions}`
    | 'demoDir'
    | 'logLevel'
    | 'tlsCert'
    | 'tlsKey'
    | 'metricsToken';
  help: string;
  parse: (text: string) => unknown;
}

function integer(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`expected a non-negative integer, got "${text}"`);
  return Number(text);
}

function iceServers(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('expected a JSON array of RTCIceServer objects');
  }
  const parsed = IceServers.safeParse(value);
  if (!parsed.success) {
    const problem = describeIssue('ICE servers', parsed.error.issues);
    throw new Error(`expected a JSON array of { urls, username?, credential? } (${problem})`);
  }
  return parsed.data;
}

function port(text: string): number {
  const value = integer(text);
  if (value > 65_535) throw new Error(`expected a port number, 0 to 65535, got "${text}"`);
  return value;
}

const text = (value: string): string => value;

function boolean(value: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new Error(`expected true or false, got "${value}"`);
}

/** A bearer token: 16–256 visible ASCII characters (no spaces, which proxies and shells mangle). */
function bearerToken(value: string): string {
  if (!/^[\x21-\x7e]{16,256}$/.test(value)) {
    throw new Error('expected 16–256 visible ASCII characters, without spaces');
  }
  return value;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Every CLI setting. `--help` and the README's configuration table are made from it. */
export const SETTINGS: readonly Setting[] = [
  {
    flag: 'port',
    env: 'PORT',
    key: 'port',
    parse: port,
    help: `TCP port (default ${DEFAULT_OPTIONS.port})`,
  },
  {
    flag: 'host',
    env: 'HOST',
    key: 'host',
    parse: text,
    help: `interface to bind (default ${DEFAULT_OPTIONS.host}; 0.0.0.0 for all)`,
  },
  {
    flag: 'path',
    env: 'PEERLANE_PATH',
    key: 'path',
    parse: text,
    help: `WebSocket endpoint path (default ${DEFAULT_OPTIONS.path})`,
  },
  {
    flag: 'max-payload',
    env: 'PEERLANE_MAX_PAYLOAD',
    key: 'maxPayload',
    parse: integer,
    help: `largest frame in bytes (default ${DEFAULT_OPTIONS.maxPayload})`,
  },
  {
    flag: 'max-peers-per-room',
    env: 'PEERLANE_MAX_PEERS_PER_ROOM',
    key: 'maxPeersPerRoom',
    parse: integer,
    help: `peers per room (default ${DEFAULT_OPTIONS.maxPeersPerRoom})`,
  },
  {
    flag: 'max-rooms',
    env: 'PEERLANE_MAX_ROOMS',
    key: 'maxRooms',
    parse: integer,
    help: `rooms per server (default ${DEFAULT_OPTIONS.maxRooms})`,
  },
  {
    flag: 'max-rooms-per-ip',
    env: 'PEERLANE_MAX_ROOMS_PER_IP',
    key: 'maxRoomsPerIp',
    parse: integer,
    help: `rooms the peers from one IP address may be in at once (default ${DEFAULT_OPTIONS.maxRoomsPerIp})`,
  },
  {
    flag: 'rate-limit',
    env: 'PEERLANE_RATE_LIMIT',
    key: 'rateLimit',
    parse: integer,
    help: `frames per second per connection (default ${DEFAULT_OPTIONS.rateLimit})`,
  },
  {
    flag: 'rate-burst',
    env: 'PEERLANE_RATE_BURST',
    key: 'rateBurst',
    parse: integer,
    help: `burst above the rate (default ${DEFAULT_OPTIONS.rateBurst})`,
  },
  {
    flag: 'meta-rate-limit',
    env: 'PEERLANE_META_RATE_LIMIT',
    key: 'metaRateLimit',
    parse: integer,
    help: `presence changes (join, leave, meta) per second per connection, bursts of 5x (default ${DEFAULT_OPTIONS.metaRateLimit})`,
  },
  {
    flag: 'max-violations',
    env: 'PEERLANE_MAX_VIOLATIONS',
    key: 'maxViolations',
    parse: integer,
    help: `bad frames per 10 s before 1008 (default ${DEFAULT_OPTIONS.maxViolations})`,
  },
  {
    flag: 'heartbeat-interval',
    env: 'PEERLANE_HEARTBEAT_INTERVAL_MS',
    key: 'heartbeatIntervalMs',
    parse: integer,
    help: `ms between pings (default ${DEFAULT_OPTIONS.heartbeatIntervalMs})`,
  },
  {
    flag: 'heartbeat-timeout',
    env: 'PEERLANE_HEARTBEAT_TIMEOUT_MS',
    key: 'heartbeatTimeoutMs',
    parse: integer,
    help: `ms after a ping to hear from a client (default ${DEFAULT_OPTIONS.heartbeatTimeoutMs})`,
  },
  {
    flag: 'resume-grace',
    env: 'PEERLANE_RESUME_GRACE_MS',
    key: 'resumeGraceMs',
    parse: integer,
    help: `ms a dropped peer may resume in (default ${DEFAULT_OPTIONS.resumeGraceMs})`,
  },
  {
    flag: 'max-buffered-bytes',
    env: 'PEERLANE_MAX_BUFFERED_BYTES',
    key: 'maxBufferedBytes',
    parse: integer,
    help: `bytes queued for a non-reading client before it is dropped (default ${DEFAULT_OPTIONS.maxBufferedBytes})`,
  },
  {
    flag: 'max-pending-signals',
    env: 'PEERLANE_MAX_PENDING_SIGNALS',
    key: 'maxPendingSignals',
    parse: integer,
    help: `signals held for a reconnecting peer (default ${DEFAULT_OPTIONS.maxPendingSignals})`,
  },
  {
    flag: 'max-pending-bytes',
    env: 'PEERLANE_MAX_PENDING_BYTES',
    key: 'maxPendingBytes',
    parse: integer,
    help: `bytes held for one reconnecting peer; 4x per address (default ${DEFAULT_OPTIONS.maxPendingBytes})`,
  },
  {
    flag: 'shutdown-timeout',
    env: 'PEERLANE_SHUTDOWN_TIMEOUT_MS',
    key: 'shutdownTimeoutMs',
    parse: integer,
    help: `ms to wait for clients to close on shutdown (default ${DEFAULT_OPTIONS.shutdownTimeoutMs})`,
  },
  {
    flag: 'ice-servers',
    env: 'PEERLANE_ICE_SERVERS',
    key: 'iceServers',
    parse: iceServers,
    help: 'JSON array of ICE servers for clients (default [])',
  },
  {
    flag: 'max-connections-per-ip',
    env: 'PEERLANE_MAX_CONNECTIONS_PER_IP',
    key: 'maxConnectionsPerIp',
    parse: integer,
    help: `open connections per IP address (default ${DEFAULT_OPTIONS.maxConnectionsPerIp})`,
  },
  {
    flag: 'handshake-timeout',
    env: 'PEERLANE_HANDSHAKE_TIMEOUT_MS',
    key: 'handshakeTimeoutMs',
    parse: integer,
    help: `ms a new connection may take to send its request head (default ${DEFAULT_OPTIONS.handshakeTimeoutMs})`,
  },
  {
    flag: 'join-rate-limit',
    env: 'PEERLANE_JOIN_RATE_LIMIT',
    key: 'joinRateLimit',
    parse: integer,
    help: `joins per second per IP address (default ${DEFAULT_OPTIONS.joinRateLimit})`,
  },
  {
    flag: 'join-rate-burst',
    env: 'PEERLANE_JOIN_RATE_BURST',
    key: 'joinRateBurst',
    parse: integer,
    help: `join burst per IP address (default ${DEFAULT_OPTIONS.joinRateBurst})`,
  },
  {
    flag: 'tls-cert',
    env: 'PEERLANE_TLS_CERT',
    key: 'tlsCert',
    parse: text,
    help: 'PEM certificate chain file: serve https and wss (with --tls-key; reloaded on SIGHUP)',
  },
  {
    flag: 'tls-key',
    env: 'PEERLANE_TLS_KEY',
    key: 'tlsKey',
    parse: text,
    help: 'PEM private key file of --tls-cert',
  },
  {
    flag: 'trust-proxy',
    env: 'PEERLANE_TRUST_PROXY',
    key: 'trustProxy',
    parse: (value) => (/^\d+$/.test(value) ? integer(value) : boolean(value)),
    help: 'take client addresses from X-Forwarded-For: true = the last hop, N = the N-th from the end (default false)',
  },
  {
    flag: 'allowed-origins',
    env: 'PEERLANE_ALLOWED_ORIGINS',
    key: 'allowedOrigins',
    parse: list,
    help: 'comma-separated browser origins allowed to connect (default: any)',
  },
  {
    flag: 'auth-secret',
    env: 'PEERLANE_AUTH_SECRET',
    key: 'auth.secret',
    parse: text,
    help: 'require HS256 room tokens signed with this secret (prefer the variable: flags show in ps)',
  },
  {
    flag: 'auth-jwks-url',
    env: 'PEERLANE_AUTH_JWKS_URL',
    key: 'auth.jwksUrl',
    parse: text,
    help: 'require RS/ES room tokens whose keys are at this JWKS URL',
  },
  {
    flag: 'auth-issuer',
    env: 'PEERLANE_AUTH_ISSUER',
    key: 'auth.issuer',
    parse: text,
    help: 'required token issuer (iss)',
  },
  {
    flag: 'auth-audience',
    env: 'PEERLANE_AUTH_AUDIENCE',
    key: 'auth.audience',
    parse: text,
    help: 'required token audience (aud)',
  },
  {
    flag: 'turn-urls',
    env: 'PEERLANE_TURN_URLS',
    key: 'turn.urls',
    parse: list,
    help: 'comma-separated TURN URLs to issue credentials for (needs --turn-secret)',
  },
  {
    flag: 'turn-secret',
    env: 'PEERLANE_TURN_SECRET',
    key: 'turn.secret',
    parse: text,
    help: "coturn's static-auth-secret (prefer the variable: flags show in ps)",
  },
  {
    flag: 'turn-ttl',
    env: 'PEERLANE_TURN_TTL_SECONDS',
    key: 'turn.ttlSeconds',
    parse: integer,
    help: 'lifetime of issued TURN credentials in seconds (default 86400)',
  },
  {
    flag: 'relay',
    env: 'PEERLANE_RELAY',
    key: 'relay',
    parse: boolean,
    help: 'carry peer data over the WebSocket relay when direct fails (default true)',
  },
  {
    flag: 'relay-media',
    env: 'PEERLANE_RELAY_MEDIA',
    key: 'relayMedia',
    parse: boolean,
    help: 'let the relay carry audio and video too, not only messages and files (default true)',
  },
  {
    flag: 'relay-window',
    env: 'PEERLANE_RELAY_WINDOW',
    key: 'relayWindow',
    parse: integer,
    help: `relay bytes in flight per sender→receiver (default ${DEFAULT_OPTIONS.relayWindow})`,
  },
  {
    flag: 'relay-rate-limit',
    env: 'PEERLANE_RELAY_RATE_LIMIT',
    key: 'relayRateLimit',
    parse: integer,
    help: `relay bytes per second per connection (default ${DEFAULT_OPTIONS.relayRateLimit})`,
  },
  {
    flag: 'relay-room-rate-limit',
    env: 'PEERLANE_RELAY_ROOM_RATE_LIMIT',
    key: 'relayRoomRateLimit',
    parse: integer,
    help: `relay bytes per second per room on this node (default ${DEFAULT_OPTIONS.relayRoomRateLimit})`,
  },
  {
    flag: 'relay-node-rate-limit',
    env: 'PEERLANE_RELAY_NODE_RATE_LIMIT',
    key: 'relayNodeRateLimit',
    parse: integer,
    help: `relay bytes per second this node publishes to the others through Redis (default ${DEFAULT_OPTIONS.relayNodeRateLimit})`,
  },
  {
    flag: 'redis-url',
    env: 'REDIS_URL',
    key: 'redisUrl',
    parse: text,
    help: 'share rooms with other nodes through this Redis (default: rooms in memory)',
  },
  {
    flag: 'redis-prefix',
    env: 'PEERLANE_REDIS_PREFIX',
    key: 'redisPrefix',
    parse: text,
    help: `with Redis: key and channel prefix (default ${DEFAULT_OPTIONS.redisPrefix})`,
  },
  {
    flag: 'node-id',
    env: 'PEERLANE_NODE_ID',
    key: 'nodeId',
    parse: text,
    help: "this node's id in logs and metrics (default: random)",
  },
  {
    flag: 'node-ttl',
    env: 'PEERLANE_NODE_TTL_MS',
    key: 'nodeTtlMs',
    parse: integer,
    help: `with Redis: ms of silence after which a node is dead (default ${DEFAULT_OPTIONS.nodeTtlMs})`,
  },
  {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    key: 'logLevel',
    parse: (value) => {
      if (!['trace', 'debug', 'info', 'warn', 'error', 'silent'].includes(value)) {
        throw new Error(`expected trace, debug, info, warn, error or silent, got "${value}"`);
      }
      return value;
    },
    help: 'level of the JSON log lines on stdout (default info)',
  },
  {
    flag: 'metrics-token',
    env: 'PEERLANE_METRICS_TOKEN',
    key: 'metricsToken',
    parse: bearerToken,
    help: '/metrics answers only with Authorization: Bearer <token>, and /healthz then gives no counts without it (default: open)',
  },
  {
    flag: 'demo-dir',
    env: 'PEERLANE_DEMO_DIR',
    key: 'demoDir',
    parse: text,
    help: "folder of the built demo (default: the package's dist/demo)",
  },
];

/** What the command line asked for. */
export type CliRequest =
  | { kind: 'help' }
  | { kind: 'version' }
  | {
      kind: 'serve';
      options: SignalingServerOptions;
      demoDir: string | undefined;
      logLevel: string | undefined;
      /** Paths of the PEM certificate chain and key; both or neither. */
      tls: { certFile: string; keyFile: string } | undefined;
      /** The bearer token `/metrics` requires, if any. */
      metricsToken: string | undefined;
    };

/**
 * Reads flags (`--port 9000` or `--port=9000`) over environment variables. Throws an
 * `Error` whose message names the flag or variable at fault.
 */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliRequest {
  const values = new Map<Setting, string>();
  for (const setting of SETTINGS) {
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== '') values.set(setting, fromEnv);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--version' || arg === '-v') return { kind: 'version' };
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const setting = SETTINGS.find((s) => s.flag === match?.[1]);
    if (!match || !setting) throw new Error(`unknown argument "${arg}"; see --help`);
    const value = match[2] ?? argv[++i];
    // An empty value is none, as an empty variable is: taken as one, `--host=` would listen
    // on every interface and `--demo-dir=` serve the working directory.
    if (value === undefined || value === '') throw new Error(`--${setting.flag} needs a value`);
    values.set(setting, value);
  }
  const options: Record<string, unknown> = {};
  let demoDir: string | undefined;
  let logLevel: string | undefined;
  let metricsToken: string | undefined;
  const tlsFiles: { tlsCert?: string; tlsKey?: string } = {};
  for (const [setting, raw] of values) {
    let value: unknown;
    try {
      value = setting.parse(raw);
    } catch (error) {
      throw new Error(`--${setting.flag} / ${setting.env}: ${(error as Error).message}`);
    }
    if (setting.key === 'tlsCert' || setting.key === 'tlsKey')
      tlsFiles[setting.key] = value as string;
    else if (setting.key === 'demoDir') demoDir = value as string;
    else if (setting.key === 'logLevel') logLevel = value as string;
    else if (setting.key === 'metricsToken') metricsToken = value as string;
    else if (setting.key.includes('.')) {
      const [group = '', field = ''] = setting.key.split('.');
      const nested = (options[group] ?? {}) as Record<string, unknown>;
      nested[field] = value;
      options[group] = nested;
    } else options[setting.key] = value;
  }
  const { tlsCert, tlsKey } = tlsFiles;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new Error('--tls-cert / PEERLANE_TLS_CERT and --tls-key / PEERLANE_TLS_KEY go together');
  }
  const tls = tlsCert && tlsKey ? { certFile: tlsCert, keyFile: tlsKey } : undefined;
  return {
    kind: 'serve',
    options: options as SignalingServerOptions,
    demoDir,
    logLevel,
    tls,
    metricsToken,
  };
}

/** The `--help` text. */
export function helpText(): string {
  const rows = SETTINGS.map(
    (s) => `  --${`${s.flag} <value>`.padEnd(30)} ${s.env.padEnd(32)} ${s.help}`,
  );
  return [
    'Usage: peerlane [options]',
    '       peerlane token --room <name> [--ttl 1h] …   (mint a room token; token --help)',
    '',
    'Starts the Peerlane signaling server, with the demo page at / and a health check at /healthz.',
    'Each option may also come from the environment variable beside it; flags win.',
    '',
    `  ${'flag'.padEnd(32)} ${'environment'.padEnd(32)} meaning`,
    ...rows,
    `  ${'--help'.padEnd(32)} ${''.padEnd(32)} show this text`,
    `  ${'--version'.padEnd(32)} ${''.padEnd(32)} show the version`,
    '',
  ].join('\n');
}
