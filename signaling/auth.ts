import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { z } from 'zod';
import type { FrameRejection } from './frames.js';
import { type PeerPerms, SafeText } from './protocol.js';

/**
 * Room tokens. With `secret`, tokens are HS256 JWTs signed with that shared secret; with
 * `jwksUrl`, they are RS256/ES256/EdDSA JWTs whose keys the server fetches (and caches)
 * from that URL. Exactly one of the two.
 */
export interface AuthOptions {
  /** HS256 shared secret, at least 32 characters. */
  secret?: string;
  /** URL of a JSON Web Key Set for asymmetric tokens. */
  jwksUrl?: string;
  /** When set, the token's `iss` must equal it. */
  issuer?: string;
  /** When set, the token's `aud` must contain it. */
  audience?: string;
  /** Seconds of clock skew tolerated for `exp` and `nbf`. @default 5 */
  clockToleranceSeconds?: number;
}

/**
 * The claims Peerlane reads from a room token, beside the standard `exp` (required),
 * `nbf`, `iat`, `iss` and `aud`.
 */
export const RoomClaims = z.object({
  /** The room the token admits to: an exact name, or a prefix ending in `*` (`"team-*"`, `"*"`). */
  room: z
    .string()
    .regex(/^[A-Za-z0-9_.~-]{0,64}\*?$/, 'room must be a room name or a prefix ending in *'),
  /** Who the holder is; shown to the other peers as `identity`. */
  sub: z.optional(SafeText(128)),
  /** What the holder may do; each defaults to true. */
  perms: z
    .object({
      publish: z.boolean().optional(),
      relay: z.boolean().optional(),
      broadcast: z.boolean().optional(),
    })
    .optional(),
  /** The holder may only join a room that has fewer than this many peers. */
  maxPeers: z.number().int().positive().optional(),
});
export type RoomClaims = z.infer<typeof RoomClaims>;

/** What a verified token grants a peer. */
export interface Grant {
  identity: string | undefined;
  perms: PeerPerms;
  maxPeers: number | undefined;
}

type Verdict = { ok: true; grant: Grant } | { ok: false; rejection: FrameRejection };

/** A compact JWS: three base64url parts separated by dots, nothing else. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519'];

/** The shortest HS256 secret the server takes: 32 characters (256 bits of ASCII). */
export const MIN_AUTH_SECRET_CHARS = 32;

/** Checks an {@link AuthOptions} value, throwing a `TypeError` that names the problem. */
export function validateAuthOptions(auth: AuthOptions): void {
  if ((auth.secret === undefined) === (auth.jwksUrl === undefined)) {
    throw new TypeError('options.auth needs exactly one of secret or jwksUrl');
  }
  if (auth.secret !== undefined && auth.secret.length < MIN_AUTH_SECRET_CHARS) {
    throw new TypeError(`options.auth.secret must be at least ${MIN_AUTH_SECRET_CHARS} characters`);
  }
  if (auth.jwksUrl !== undefined && !URL.canParse(auth.jwksUrl)) {
    throw new TypeError(`options.auth.jwksUrl is not a URL (got ${auth.jwksUrl})`);
  }
}

/** True when `room` is the token's room, or starts with its prefix before a trailing `*`. */
export function roomMatches(pattern: string, room: string): boolean {
  return pattern.endsWith('*') ? room.startsWith(pattern.slice(0, -1)) : room === pattern;
}

/** Makes the verifier the server runs on every `join` when auth is on. */
export function createTokenVerifier(auth: AuthOptions) {
  validateAuthOptions(auth);
  const key: Uint8Array | JWTVerifyGetKey = auth.secret
    ? new TextEncoder().encode(auth.secret)
    : createRemoteJWKSet(new URL(auth.jwksUrl ?? ''));
  const verifyOptions = {
    algorithms: auth.secret ? ['HS256'] : ASYMMETRIC,
    requiredClaims: ['exp'],
    clockTolerance: auth.clockToleranceSeconds ?? 5,
    ...(auth.issuer === undefined ? {} : { issuer: auth.issuer }),
    ...(auth.audience === undefined ? {} : { audience: auth.audience }),
  };

  return async (token: string | undefined, room: string): Promise<Verdict> => {
    if (token === undefined)
      return refuse('AUTH_REQUIRED', 'this server needs a room token in join.token');
    // Exactly the compact form: jose would tolerate some spellings (whitespace) that make
    // a second string for one token.
    if (!COMPACT_JWS.test(token))
      return refuse('TOKEN_INVALID', 'the token is malformed: not three base64url parts');
    let payload: unknown;
    try {
      // The overloads differ only in the key's type; both take the same options.
      payload =
        key instanceof Uint8Array
          ? (await jwtVerify(token, key, verifyOptions)).payload
          : (await jwtVerify(token, key, verifyOptions)).payload;
    } catch (error) {
      return refuseJose(error);
    }
    const claims = RoomClaims.safeParse(payload);
    if (!claims.success) {
      const issue = claims.error.issues[0];
      return refuse(
        'TOKEN_INVALID',
        `token claim ${issue?.path.join('.') || '?'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    if (!roomMatches(claims.data.room, room)) {
      return refuse(
        'ROOM_NOT_ALLOWED',
        `the token admits to room "${claims.data.room}", not "${room}"`,
      );
    }
    const perms = claims.data.perms ?? {};
    return {
      ok: true,
      grant: {
        identity: claims.data.sub,
        perms: {
          publish: perms.publish ?? true,
          relay: perms.relay ?? true,
          broadcast: perms.broadcast ?? true,
        },
        maxPeers: claims.data.maxPeers,
      },
    };
  };
}

function refuse(code: FrameRejection['code'], message: string): Verdict {
  return { ok: false, rejection: { code, message } };
}

function refuseJose(error: unknown): Verdict {
  if (error instanceof errors.JWTExpired) return refuse('TOKEN_EXPIRED', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf')
      return refuse('TOKEN_NOT_YET_VALID', 'the token is not valid yet (nbf)');
    return refuse('TOKEN_INVALID', `token claim ${error.claim} failed: ${error.reason}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return refuse(
      'TOKEN_INVALID',
      'the token is signed with an algorithm this server does not accept',
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return refuse('TOKEN_INVALID', 'the token signature does not verify');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return refuse('TOKEN_INVALID', 'no key in the key set matches the token');
  }
  if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
    return refuse('AUTH_UNAVAILABLE', 'the server could not fetch its token keys; try again later');
  }
  return refuse('TOKEN_INVALID', 'the token is malformed');
}
