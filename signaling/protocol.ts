/**
 * The Peerlane wire protocol: every frame a client and the signaling server exchange,
 * defined once as zod schemas. The server validates with them; the SDK imports the
 * inferred types (and may validate with the same schemas). This file imports only zod:
 * its tree-shakable `zod/mini` form, so a browser bundle of the SDK carries only the
 * checks used here (~12 KiB gzip less than the chainable `zod`).
 *
 * Frames are JSON text WebSocket messages, each an object with a `type`.
 *
 * Over 300 lines on purpose: it is the one definition of every frame and its limits, which
 * the server and the SDK share; split, the protocol would be read in pieces.
 */
import * as z from 'zod/mini';

/** Version of this protocol. A client names it in `join.v`; the server answers in `welcome.v`. */
export const PROTOCOL_VERSION = 1;

/**
 * Every error code the server sends in an `error` frame, with what it means.
 * The SDK reuses these codes for its own `PeerlaneError`s and adds its own beside them.
 */
export const ERROR_CODES = {
  BAD_JSON: 'The frame is not valid JSON text.',
  UNKNOWN_TYPE: 'The frame has no `type`, or a `type` the server does not know.',
  INVALID_FRAME:
    'The frame has a known `type` but a field is missing, of the wrong type or out of range.',
  FRAME_TOO_LARGE: 'The frame is larger than the server accepts (`maxPayload`).',
  UNSUPPORTED_VERSION: 'The client speaks a protocol version this server does not.',
  RATE_LIMITED: 'Too many frames too fast; this frame was dropped. Slow down.',
  NOT_JOINED: 'The frame needs a room, and this connection has not joined one.',
  ALREADY_JOINED: 'This connection is already in a room; leave it first (one room per connection).',
  ROOM_FULL: 'The room has reached its peer limit (`maxPeersPerRoom`).',
  TOO_MANY_ROOMS:
    'The server has reached its room limit (`maxRooms`), or your address its own (`maxRoomsPerIp`).',
  PEER_NOT_FOUND: 'The target peer is not in your room (never was, left, or is in another room).',
  RESUME_REJECTED: 'The resume secret does not match the peer id.',
  SHUTTING_DOWN: 'The server is shutting down and accepts no new joins; reconnect elsewhere.',
  AUTH_REQUIRED: 'This server needs a room token in `join.token`.',
  TOKEN_INVALID:
    'The room token is malformed, its signature or algorithm is wrong, or a claim is invalid.',
  TOKEN_EXPIRED: 'The room token has expired.',
  TOKEN_NOT_YET_VALID: 'The room token is not valid yet (`nbf` is in the future).',
  ROOM_NOT_ALLOWED: 'The room token does not admit to this room.',
  FORBIDDEN: 'The room token does not grant this action (e.g. publishing media).',
  AUTH_UNAVAILABLE: 'The server could not fetch the keys to check the token; try again later.',
  UNAVAILABLE: 'The server cannot reach its shared state (Redis) right now; try again shortly.',
  RELAY_DISABLED: 'The relay is off on this server, or your room token does not allow it.',
  RELAY_NO_CREDIT: 'A relay frame exceeded the credit its receiver granted; it was dropped.',
  RELAY_MEDIA_DISABLED:
    'This server relays messages and files only (`relayMedia: false`); an audio/video relay frame was dropped.',
  INTERNAL_ERROR: 'The server failed to handle the frame; this is a server bug.',
} as const;

/** One of the codes in {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

const errorCodeKeys = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/**
 * WebSocket close codes the server uses. 1000–1011 are the standard ones;
 * 4000–4999 are private to Peerlane.
 */
export const CLOSE_CODES = {
  /** The client asked to close, or left cleanly. */
  NORMAL: 1000,
  /** The server is shutting down or restarting: reconnect (and resume) elsewhere. */
  GOING_AWAY: 1001,
  /** Persistent abuse (invalid frames or rate-limit violations). Do not reconnect at once. */
  POLICY_VIOLATION: 1008,
  /** A frame exceeded the hard size limit. */
  MESSAGE_TOO_BIG: 1009,
  /** The heartbeat got no pong in time; the connection was presumed dead. */
  HEARTBEAT_TIMEOUT: 4000,
  /** Another connection resumed this peer id; this one is no longer used. */
  SESSION_REPLACED: 4001,
  /** The client stopped reading while the server had more than `maxBufferedBytes` queued for it. */
  SLOW_CONSUMER: 4002,
} as const;

/** Room names: 1–64 characters of `A–Z a–z 0–9 _ . ~ -`. Safe in URLs, logs and keys. */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9_.~-]{1,64}$/;

/** Largest serialized size of a peer's metadata object, in bytes of JSON. */
export const MAX_META_BYTES = 1024;

/** Peer ids are 22 characters of base64url (128 bits); resume secrets are 43 (256 bits). */
export const PEER_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
export const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A room name, validated by {@link ROOM_NAME_PATTERN}. */
export const RoomName = z
  .string()
  .check(z.regex(ROOM_NAME_PATTERN, 'room must be 1–64 characters of A–Z a–z 0–9 _ . ~ -'));
export type RoomName = z.infer<typeof RoomName>;

/** A server-assigned peer id. */
export const PeerId = z
  .string()
  .check(z.regex(PEER_ID_PATTERN, 'peer id must be 22 base64url characters'));
export type PeerId = z.infer<typeof PeerId>;

/**
 * Control characters (which could forge log lines or terminal output) and bidirectional
 * overrides (which could disguise a name) in text that other clients will display.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** A string of at most `max` characters with no control characters or bidi overrides. */
export const SafeText = (max: number) =>
  z.string().check(
    z.maxLength(max, `must be at most ${max} characters`),
    z.refine(
      (text) => !UNSAFE_TEXT.test(text),
      'must not contain control characters or bidi overrides',
    ),
  );

/**
 * Application metadata that travels with presence (display name, avatar colour…):
 * a flat object of at most 16 primitive values, {@link MAX_META_BYTES} as JSON.
 */
export const PeerMeta = z
  .record(
    z.pipe(SafeText(32), z.string().check(z.minLength(1, 'keys must not be empty'))),
    z.union([SafeText(256), z.number(), z.boolean(), z.null()]),
  )
  .check(
    z.refine((meta) => Object.keys(meta).length <= 16, 'meta may hold at most 16 keys'),
    z.refine(
      (meta) => JSON.stringify(meta).length <= MAX_META_BYTES,
      `meta must serialize to at most ${MAX_META_BYTES} bytes`,
    ),
  );
export type PeerMeta = z.infer<typeof PeerMeta>;

/** A client-chosen reference echoed back in an `error` frame caused by that frame. */
const Ref = z.optional(z.string().check(z.maxLength(64)));

/** Longest SDP a signal may carry, in characters. */
export const MAX_SDP = 48 * 1024;

/**
 * How deep `transceiverRequest.init` may nest. An RTCRtpTransceiverInit is three levels
 * (init → sendEncodings → one encoding); a deeper one is an attack on the server's stack.
 */
export const MAX_INIT_DEPTH = 4;

/** True when `value` nests objects/arrays at most `depth` levels deep (stops looking below that). */
function nestsWithin(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (depth === 0) return false;
  return Object.values(value).every((child) => nestsWithin(child, depth - 1));
}

/**
 * With end-to-end encryption: a session description's signature by the room secret
 * (`nonce.mac`, base64url; `sdk/e2ee/handshake-auth.ts`). The server only forwards it.
 */
const SdpAuth = z.optional(z.string().check(z.maxLength(128), z.regex(/^[A-Za-z0-9_.-]*$/)));

/**
 * WebRTC signaling data exchanged between two peers, as simple-peer emits it:
 * session descriptions, trickled ICE candidates and renegotiation requests.
 * The server checks the shape and size and forwards it untouched.
 */
export const SignalData = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('offer'),
    sdp: z.string().check(z.maxLength(MAX_SDP)),
    auth: SdpAuth,
  }),
  z.object({
    type: z.literal('answer'),
    sdp: z.string().check(z.maxLength(MAX_SDP)),
    auth: SdpAuth,
  }),
  z.object({
    type: z.literal('pranswer'),
    sdp: z.string().check(z.maxLength(MAX_SDP)),
    auth: SdpAuth,
  }),
  z.object({
    type: z.literal('rollback'),
    sdp: z.optional(z.string().check(z.maxLength(MAX_SDP))),
  }),
  z.object({
    type: z.literal('candidate'),
    candidate: z.object({
      candidate: z.string().check(z.maxLength(1024)),
      sdpMid: z.nullish(z.string().check(z.maxLength(64))),
      sdpMLineIndex: z.nullish(z.int().check(z.gte(0), z.lte(1024))),
      usernameFragment: z.nullish(z.string().check(z.maxLength(256))),
    }),
  }),
  z.object({ type: z.literal('renegotiate'), renegotiate: z.literal(true) }),
  z.object({
    type: z.literal('transceiverRequest'),
    transceiverRequest: z.object({
      kind: z.enum(['audio', 'video']),
      init: z.optional(
        z
          .record(z.string(), z.unknown())
          .check(
            z.refine(
              (init) => nestsWithin(init, MAX_INIT_DEPTH),
              `init may nest at most ${MAX_INIT_DEPTH} levels`,
            ),
          ),
      ),
    }),
  }),
]);
export type SignalData = z.infer<typeof SignalData>;

/** Credentials that let a client take its peer id back after a reconnect. */
export const ResumeCredentials = z.object({
  peerId: PeerId,
  secret: z.string().check(z.regex(SECRET_PATTERN, 'secret must be 43 base64url characters')),
});
export type ResumeCredentials = z.infer<typeof ResumeCredentials>;

// ─── client → server ────────────────────────────────────────────────────────────

/**
 * Join a room. With `resume`, take back a peer id held before a reconnect: within the
 * server's grace period the other peers never see a leave/join; after it (or on another
 * server) the id is reclaimed and the others see a fresh `peer-joined`.
 */
export const JoinFrame = z.object({
  type: z.literal('join'),
  room: RoomName,
  v: z.optional(z.int()),
  meta: z.optional(PeerMeta),
  resume: z.optional(ResumeCredentials),
  /** A room token (JWT), when the server requires one. Never put it in the URL. */
  token: z.optional(z.string().check(z.maxLength(8192))),
  ref: Ref,
});

/** Leave the current room. The connection stays open and may join again. */
export const LeaveFrame = z.object({ type: z.literal('leave'), ref: Ref });

/** Send signaling data to one peer of the same room. The server stamps `from`. */
export const SignalFrame = z.object({
  type: z.literal('signal'),
  to: PeerId,
  data: SignalData,
  ref: Ref,
});

/** Replace this peer's metadata; the others receive `peer-updated`. */
export const MetaFrame = z.object({ type: z.literal('meta'), meta: PeerMeta, ref: Ref });

/**
 * Lets `to` send this many more relay bytes to you (credit-based flow control: a sender
 * starts with `welcome.relay.window` bytes towards each peer and may send only what the
 * receiver has granted since).
 */
export const RelayCreditFrame = z.object({
  type: z.literal('relay-credit'),
  to: PeerId,
  bytes: z.int().check(z.positive(), z.lte(1 << 30)),
  ref: Ref,
});

export type RelayCreditFrame = z.infer<typeof RelayCreditFrame>;

/** Application-level liveness probe (browsers cannot see WebSocket pings). Answered by `pong`. */
export const PingFrame = z.object({ type: z.literal('ping'), ref: Ref });

export const ClientFrame = z.discriminatedUnion('type', [
  JoinFrame,
  LeaveFrame,
  SignalFrame,
  MetaFrame,
  RelayCreditFrame,
  PingFrame,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type JoinFrame = z.infer<typeof JoinFrame>;
export type SignalFrame = z.infer<typeof SignalFrame>;

/** The `type` of every frame a client may send. */
export const CLIENT_FRAME_TYPES: readonly ClientFrame['type'][] = ClientFrame.def.options.map(
  (o) => o.shape.type.def.values[0] as ClientFrame['type'],
);

// ─── server → client ────────────────────────────────────────────────────────────

/** What a peer's room token lets it do. Without auth, everything. */
export const PeerPerms = z.object({
  /** May send audio/video (the server refuses SDP that sends media otherwise). */
  publish: z.boolean(),
  /** May send data through the server's relay. */
  relay: z.boolean(),
  /** May broadcast to the whole room; SDKs drop broadcasts from peers without it. */
  broadcast: z.boolean(),
});
export type PeerPerms = z.infer<typeof PeerPerms>;

/**
 * A peer as presence describes it. `identity` (the token's `sub`) and `perms` are
 * present when the server checks room tokens: unlike `meta`, the peer cannot forge them.
 */
export const PeerInfo = z.object({
  id: PeerId,
  meta: PeerMeta,
  identity: z.optional(z.string()),
  perms: z.optional(PeerPerms),
});
export type PeerInfo = z.infer<typeof PeerInfo>;

/** `host[:port]`: a name or IPv4 address, or an IPv6 address in brackets. */
const ICE_HOST = String.raw`(?:\[[0-9a-f:.]+\]|[^\s?#/@:[\]]+)(?::(\d{1,5}))?`;
const STUN_URL = new RegExp(`^stuns?:${ICE_HOST}$`, 'i');
const TURN_URL = new RegExp(`^turns?:${ICE_HOST}(?:\\?transport=(?:udp|tcp))?$`, 'i');
/** The schemes of TURN URLs, which need credentials. */
const TURN_SCHEME = /^turns?:/i;

/** A port, where `url` names one, is at most 65535. */
const portFits = (match: RegExpExecArray | null): boolean =>
  match !== null && (match[1] === undefined || Number(match[1]) <= 65_535);

/**
 * Whether `url` is an ICE server URL RTCPeerConnection takes (RFC 7064, 7065):
 * `stun:`/`stuns:` host[:port], `turn:`/`turns:` host[:port][?transport=udp|tcp]. A
 * browser refuses a configuration holding any other (SyntaxError), so it is refused where
 * it is configured.
 */
export function isIceUrl(url: string): boolean {
  return portFits(STUN_URL.exec(url)) || isTurnUrl(url);
}

/** Whether `url` is a TURN URL RTCPeerConnection takes (see {@link isIceUrl}). */
export function isTurnUrl(url: string): boolean {
  return portFits(TURN_URL.exec(url));
}

const IceUrl = z
  .string()
  .check(z.refine(isIceUrl, 'must be a stun:, stuns:, turn: or turns: URL with a host'));

/**
 * An ICE server the client should use: STUN, or TURN with credentials (a browser refuses a
 * turn: URL without them: InvalidAccessError).
 */
export const IceServer = z
  .object({
    urls: z.union([IceUrl, z.array(IceUrl).check(z.minLength(1, 'must not be empty'))]),
    username: z.optional(z.string()),
    credential: z.optional(z.string()),
  })
  .check(
    z.refine(
      ({ urls, username, credential }) =>
        (username !== undefined && credential !== undefined) ||
        ![urls].flat().some((url) => TURN_SCHEME.test(url)),
      'a turn: or turns: URL needs a username and a credential',
    ),
  );
export type IceServer = z.infer<typeof IceServer>;
/** A list of {@link IceServer}s, as `--ice-servers` takes it. */
export const IceServers = z.array(IceServer);

/**
 * The first problem a failed parse found, as `name[0].key: message` — how an option's error
 * names the part that is wrong.
 */
export function describeIssue(
  name: string,
  issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[],
): string {
  const issue = issues[0];
  const path = (issue?.path ?? [])
    .map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))
    .join('');
  return `${name}${path}: ${issue?.message ?? 'invalid'}`;
}

/** Why a peer left a room. */
export const LeaveReason = z.enum([
  'left', // sent `leave`, or closed its connection cleanly (1000/1001)
  'disconnected', // its connection dropped and it did not resume within the grace period
  'timeout', // it stopped answering heartbeats and did not resume within the grace period
  'kicked', // the server closed it for abuse (1008/1009)
]);
export type LeaveReason = z.infer<typeof LeaveReason>;

/**
 * The smallest relay credit window a server may offer (`relayWindow`). A sender cuts what
 * it relays into pieces of at most a quarter window, so that credit always comes back.
 */
export const MIN_RELAY_WINDOW = 4096;
/** The smallest relay payload a server may offer (`welcome.relay.maxChunk`). */
export const MIN_RELAY_CHUNK = 1000;

/** Sent once the connection is in a room: who you are, who is there, and how to connect. */
export const WelcomeFrame = z.object({
  type: z.literal('welcome'),
  v: z.int(),
  room: RoomName,
  peerId: PeerId,
  /** Keep it private: with it, this peer id can be resumed after a reconnect. */
  secret: z.string(),
  /** True when the id was resumed within the grace period: the others saw no leave. */
  resumed: z.boolean(),
  peers: z.array(PeerInfo),
  iceServers: z.array(IceServer),
  /** The WebSocket relay's terms for this peer; absent when it may not use the relay. */
  relay: z.optional(
    z.object({
      /** Bytes a sender may have in flight to one receiver before it grants more. */
      window: z.int().check(z.gte(MIN_RELAY_WINDOW, `at least ${MIN_RELAY_WINDOW}`)),
      /** Largest payload of one relay frame, in bytes. */
      maxChunk: z.int().check(z.gte(MIN_RELAY_CHUNK, `at least ${MIN_RELAY_CHUNK}`)),
      /**
       * Whether the relay carries audio and video (frames on the {@link RELAY_LANE}`.MEDIA`
       * lane); false when the operator switched it off (`relayMedia: false`).
       */
      media: z.boolean(),
    }),
  ),
  ref: Ref,
});

/**
 * A peer is in the room. It can come again for a peer already known (after the server's
 * shared state was rebuilt, e.g. Redis restarted): the peer is present, nothing more.
 */
export const PeerJoinedFrame = z.object({ type: z.literal('peer-joined'), peer: PeerInfo });
export const PeerLeftFrame = z.object({
  type: z.literal('peer-left'),
  peerId: PeerId,
  reason: LeaveReason,
});
export const PeerUpdatedFrame = z.object({ type: z.literal('peer-updated'), peer: PeerInfo });
/** Confirms a `leave`. */
export const LeftFrame = z.object({ type: z.literal('left'), room: RoomName, ref: Ref });
export const SignalFromFrame = z.object({
  type: z.literal('signal'),
  from: PeerId,
  data: SignalData,
});
export const PongFrame = z.object({ type: z.literal('pong'), ref: Ref });
/** `from` lets you send this many more relay bytes to it. */
export const RelayCreditFromFrame = z.object({
  type: z.literal('relay-credit'),
  from: PeerId,
  bytes: z.int().check(z.positive()),
});
/**
 * The credit you have towards `from` as the server counts it, in answer to your
 * {@link RELAY_SYNC} frame number `n`: it replaces your own count (grants to you may have
 * been lost, e.g. while one of the two moved to another node).
 */
export const RelaySyncFrame = z.object({
  type: z.literal('relay-sync'),
  from: PeerId,
  credit: z.int().check(z.nonnegative()),
  n: z.int().check(z.nonnegative(), z.lte(0xffff_ffff)),
});
export const ErrorFrame = z.object({
  type: z.literal('error'),
  code: z.enum(errorCodeKeys),
  message: z.string(),
  /** The `ref` of the client frame that caused it, when it had one. */
  ref: Ref,
});

export const ServerFrame = z.discriminatedUnion('type', [
  WelcomeFrame,
  PeerJoinedFrame,
  PeerLeftFrame,
  PeerUpdatedFrame,
  LeftFrame,
  SignalFromFrame,
  RelayCreditFromFrame,
  RelaySyncFrame,
  PongFrame,
  ErrorFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** The `type` of every frame the server may send. */
export const SERVER_FRAME_TYPES: readonly ServerFrame['type'][] = ServerFrame.def.options.map(
  (o) => o.shape.type.def.values[0] as ServerFrame['type'],
);
export type WelcomeFrame = z.infer<typeof WelcomeFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;

// ─── relay (binary frames) ──────────────────────────────────────────────────────

/**
 * Binary WebSocket frames carry relayed peer data: one kind byte, a 22-byte peer id in
 * ASCII, then the payload. From a client the id names the receiver; from the server it
 * names the sender, stamped by the server. The payload is opaque to the server.
 */
export const RELAY_HEADER_BYTES = 23;
/** The kind byte of a relay data frame. */
export const RELAY_DATA = 0x01;
/**
 * The kind byte of a credit sync: a sender whose credit towards the peer named in the
 * header stopped coming asks how much it has, as the server counts it. Its payload is a
 * u32 (big-endian) the sender numbers its syncs with; the answer is `relay-sync` with the
 * same `n`. It travels the way the sender's data frames do, so the credit it gets counts
 * every frame sent before it. No credit is spent on it.
 */
export const RELAY_SYNC = 0x02;
/** The length of a {@link RELAY_SYNC} frame: the header and the u32. */
export const RELAY_SYNC_BYTES = RELAY_HEADER_BYTES + 4;

/**
 * The first payload byte of every relay frame is the SDK's lane tag: bits 0–6 the lane,
 * bit 7 ({@link RELAY_MORE_PIECES}) "the lane's frame continues in the next relay frame".
 * The server reads it only to count bytes by kind and to gate media (`relayMedia`,
 * `perms.publish`); the rest of the payload stays opaque to it.
 */
export const RELAY_LANE = { MESSAGE: 1, BULK: 2, MEDIA: 3 } as const;
/** One of the {@link RELAY_LANE} tags. */
export type RelayLaneTag = (typeof RELAY_LANE)[keyof typeof RELAY_LANE];
/** Bit 7 of a lane tag: the frame continues in the next piece. */
export const RELAY_MORE_PIECES = 0x80;

/** Whether a relay payload whose first byte is `tag` carries audio or video. */
export function isMediaTag(tag: number | undefined): boolean {
  return tag !== undefined && (tag & ~RELAY_MORE_PIECES) === RELAY_LANE.MEDIA;
}
