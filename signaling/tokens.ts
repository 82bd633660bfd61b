import { SignJWT } from 'jose';
import { MIN_AUTH_SECRET_CHARS, RoomClaims } from './auth.js';
import { describeIssue } from './protocol.js';

/** Options of {@link createRoomToken}. */
export interface RoomTokenOptions {
  /** The HS256 secret the server verifies with (`auth.secret`). */
  secret: string;
  /** Room name, or a prefix ending in `*`. */
  room: string;
  /** Lifetime in seconds. @default 3600 */
  ttlSeconds?: number;
  /** The holder's identity, shown to other peers. @default undefined */
  sub?: string;
  /** Permissions; each defaults to true. */
  perms?: { publish?: boolean; relay?: boolean; broadcast?: boolean };
  /** Only join rooms with fewer peers than this. @default undefined */
  maxPeers?: number;
  /** `iss` claim. @default undefined */
  issuer?: string;
  /** `aud` claim. @default undefined */
  audience?: string;
  /** Seconds from now before which the token is not valid (`nbf`). @default 0 */
  notBeforeSeconds?: number;
  /** Clock, in ms since the epoch. @default Date.now */
  now?: () => number;
}

/**
 * Mints an HS256 room token for a server started with `auth: { secret }`. Meant for your
 * application's backend (and for tests); never ship the secret to browsers.
 */
export async function createRoomToken(options: RoomTokenOptions): Promise<string> {
  // A shorter secret signs tokens no server checks: it refuses to start with one.
  if (typeof options.secret !== 'string' || options.secret.length < MIN_AUTH_SECRET_CHARS) {
    throw new TypeError(
      `options.secret must be at least ${MIN_AUTH_SECRET_CHARS} characters, as the server's is`,
    );
  }
  const parsed = RoomClaims.safeParse({
    room: options.room,
    ...(options.sub === undefined ? {} : { sub: options.sub }),
    ...(options.perms === undefined ? {} : { perms: options.perms }),
    ...(options.maxPeers === undefined ? {} : { maxPeers: options.maxPeers }),
  });
  // One line naming the option (`options.room: …`), not zod's JSON list of issues.
  if (!parsed.success) throw new TypeError(describeIssue('options', parsed.error.issues));
  const claims = parsed.data;
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  const jwt = new SignJWT(claims as Record<string, unknown>)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setNotBefore(now + (options.notBeforeSeconds ?? 0))
    .setExpirationTime(now + (options.ttlSeconds ?? 3600));
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}

/** Parses a duration like `90`, `90s`, `15m`, `1h` or `7d` into seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw new Error(`expected a duration like 90s, 15m, 1h or 7d, got "${text}"`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
