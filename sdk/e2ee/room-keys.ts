/**
 * The keys of a room with end-to-end encryption, derived from its secret with HKDF-SHA-256
 * (WebCrypto, in browsers and Node): one HMAC key that signs handshakes and safety numbers,
 * and AES-GCM keys for the relay, one per direction, lane and sender key id. The secret
 * never leaves this peer; the server sees only MACs and ciphertext.
 */

const encoder = new TextEncoder();
/** Domain separation: a key made for one purpose is never valid for another. */
const SALT = encoder.encode('peerlane e2ee v1');

/** The shortest secret accepted: the server sees MACs, so a short one could be guessed offline. */
export const MIN_SECRET_LENGTH = 16;

function subtle(): SubtleCrypto {
  const found = globalThis.crypto?.subtle;
  if (!found) throw new Error('WebCrypto (crypto.subtle) is not available here');
  return found;
}

const hkdf = (info: string) => ({
  name: 'HKDF',
  hash: 'SHA-256',
  salt: SALT,
  info: encoder.encode(info),
});

/** The room's keys (see the file's comment). Make one with {@link RoomKeys.derive}. */
export class RoomKeys {
  private constructor(
    private readonly base: CryptoKey,
    private readonly mac: CryptoKey,
    /** The room's name: every key is bound to it. */
    readonly room: string,
  ) {}

  /** Derives the keys of `room` from `secret`. */
  static async derive(secret: string, room: string): Promise<RoomKeys> {
    const base = await subtle().importKey('raw', encoder.encode(secret), 'HKDF', false, [
      'deriveKey',
    ]);
    const mac = await subtle().deriveKey(
      hkdf(`mac\u0000${room}`),
      base,
      { name: 'HMAC', hash: 'SHA-256', length: 256 },
      false,
      ['sign', 'verify'],
    );
    return new RoomKeys(base, mac, room);
  }

  /** HMAC-SHA-256 over `parts`, each length-prefixed so no two lists sign alike. */
  async sign(parts: readonly string[]): Promise<Uint8Array> {
    return new Uint8Array(await subtle().sign('HMAC', this.mac, framed(parts)));
  }

  /** True when `mac` is the HMAC of `parts` (compared in constant time by WebCrypto). */
  async verify(parts: readonly string[], mac: Uint8Array): Promise<boolean> {
    return subtle().verify('HMAC', this.mac, mac as Uint8Array<ArrayBuffer>, framed(parts));
  }

  /**
   * The AES-GCM key for relay frames from `from` to `to` on `lane`, under the sender's
   * `keyId` (random per sender: a key is never used again after a reload).
   */
  relayKey(from: string, to: string, lane: string, keyId: string): Promise<CryptoKey> {
    const info = ['relay', this.room, from, to, lane, keyId].join('\u0000');
    return subtle().deriveKey(hkdf(info), this.base, { name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
      'decrypt',
    ]);
  }
}

/** `parts` as one byte string: each part's UTF-8 length (u32) then its bytes. */
function framed(parts: readonly string[]): Uint8Array<ArrayBuffer> {
  const encoded = parts.map((part) => encoder.encode(part));
  const out = new Uint8Array(encoded.reduce((sum, p) => sum + 4 + p.byteLength, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const part of encoded) {
    view.setUint32(at, part.byteLength);
    out.set(part, at + 4);
    at += 4 + part.byteLength;
  }
  return out;
}

/** Base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes of a base64url string, or undefined when it is not one. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  // A length of 4n + 1 is no base64 at all (`atob` throws on it).
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** `count` random bytes. */
export function randomBytes(count: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(count));
}
