import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A peer's identity: a public id and the secret it was derived from. */
export interface PeerIdentity {
  peerId: string;
  secret: string;
}

/**
 * The id is the first 128 bits of SHA-256(secret). Holding the secret proves ownership
 * of the id without the server storing anything, so a resume works after the grace
 * period, after a server restart, or on another node of a cluster.
 */
function idFromSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest().subarray(0, 16);
}

/** Mints a fresh, unguessable peer id with its resume secret. */
export function createPeerIdentity(): PeerIdentity {
  const secret = randomBytes(32).toString('base64url');
  return { peerId: idFromSecret(secret).toString('base64url'), secret };
}

/**
 * True when `secret` is the one `peerId` was derived from (constant-time comparison).
 * The id is compared as text, not decoded: 22 base64url characters carry 132 bits for
 * 128, so decoding would accept 16 spellings of one id (the unused low bits of the last
 * character); only the canonical one is the peer's id.
 */
export function verifyPeerIdentity({ peerId, secret }: PeerIdentity): boolean {
  const claimed = Buffer.from(peerId, 'latin1');
  const actual = Buffer.from(idFromSecret(secret).toString('base64url'), 'latin1');
  return claimed.length === actual.length && timingSafeEqual(claimed, actual);
}
