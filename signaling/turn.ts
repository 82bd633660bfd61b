import { createHmac } from 'node:crypto';
import { type IceServer, isTurnUrl, type PeerId } from './protocol.js';

/** TURN servers that accept coturn's `use-auth-secret` (TURN REST API) credentials. */
export interface TurnOptions {
  /** TURN URLs, e.g. `['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349']`. */
  urls: string[];
  /** The `static-auth-secret` coturn is configured with. */
  secret: string;
  /** How long issued credentials stay valid, in seconds. @default 86400 */
  ttlSeconds?: number;
}

/**
 * Time-limited TURN credentials for one peer, in the coturn REST convention: the username
 * is `expiry:peerId` (expiry in Unix seconds) and the password is the base64 HMAC-SHA1 of
 * the username keyed with the shared secret. coturn checks both without asking us.
 */
export function turnCredentials(turn: TurnOptions, peerId: PeerId, nowMs = Date.now()): IceServer {
  const expiry = Math.floor(nowMs / 1000) + (turn.ttlSeconds ?? 86_400);
  const username = `${expiry}:${peerId}`;
  const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
  return { urls: turn.urls, username, credential };
}

/** Checks {@link TurnOptions}, throwing a `TypeError` that names the problem. */
export function validateTurnOptions(turn: TurnOptions): void {
  const bad = Array.isArray(turn.urls)
    ? turn.urls.find((u) => !(typeof u === 'string' && isTurnUrl(u)))
    : turn.urls;
  if (!Array.isArray(turn.urls) || turn.urls.length === 0 || bad !== undefined) {
    throw new TypeError(
      'options.turn.urls must be a non-empty list of turn: or turns: URLs, host[:port][?transport=udp|tcp]' +
        (bad === undefined ? '' : ` (got ${JSON.stringify(bad)})`),
    );
  }
  if (typeof turn.secret !== 'string' || turn.secret.length < 16) {
    throw new TypeError('options.turn.secret must be at least 16 characters');
  }
  if (
    turn.ttlSeconds !== undefined &&
    !(Number.isInteger(turn.ttlSeconds) && turn.ttlSeconds > 0)
  ) {
    throw new TypeError('options.turn.ttlSeconds must be a positive integer');
  }
}
