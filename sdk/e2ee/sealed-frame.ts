/**
 * One sealed relay frame, as every sealed lane and sealed media carry it:
 * `[1][keyId 8][seq u64][ciphertext + 16-byte tag]`, AES-256-GCM with the header as
 * additional data and the 12-byte nonce `[0 0 0 0][seq u64]`. The key is per sender,
 * receiver, lane and sender key id (`room-keys.ts`), so the sequence number alone keeps
 * (key, nonce) pairs unique: a sender never uses a number twice under one key.
 */
import { randomBytes, toBase64Url } from './room-keys.js';

const VERSION = 1;
const KEY_ID_BYTES = 8;
const HEADER_BYTES = 1 + KEY_ID_BYTES + 8;
const TAG_BYTES = 16;
/** Bytes a sealed frame adds to the frame it carries. */
export const SEAL_OVERHEAD = HEADER_BYTES + TAG_BYTES;
/** The largest sequence number a sender uses (numbers stay exact in a double). */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** A sealed frame's header, read (not yet authenticated). */
export interface SealedHeader {
  /** The sender's key id, base64url. */
  keyId: string;
  seq: number;
}

/** A sealed frame as sealing makes it, in two parts: its header and the ciphertext (with the tag). */
export interface SealedParts {
  header: Uint8Array;
  body: Uint8Array;
}

/** Seals `plain` (not kept) as frame `seq` under `key`, the sender's key of `keyId`. */
export async function sealFrame(
  key: CryptoKey,
  keyId: Uint8Array,
  seq: number,
  plain: Uint8Array,
): Promise<Uint8Array> {
  return joinSealed(await sealParts(key, keyId, seq, plain));
}

/**
 * Seals `plain` like {@link sealFrame}, and leaves the two parts apart: a sender that
 * hands frames to a lane that copies them joins them into a buffer it reuses.
 */
export async function sealParts(
  key: CryptoKey,
  keyId: Uint8Array,
  seq: number,
  plain: Uint8Array,
): Promise<SealedParts> {
  const header = new Uint8Array(HEADER_BYTES);
  header[0] = VERSION;
  header.set(keyId, 1);
  writeSeq(header, 1 + KEY_ID_BYTES, seq);
  const body = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonce(seq), additionalData: header },
    key,
    plain as Uint8Array<ArrayBuffer>,
  );
  return { header, body: new Uint8Array(body) };
}

/** The sealed frame of `parts`: written at the start of `into` when it has room, else new. */
export function joinSealed({ header, body }: SealedParts, into?: Uint8Array): Uint8Array {
  const length = header.byteLength + body.byteLength;
  const out = into && into.byteLength >= length ? into.subarray(0, length) : new Uint8Array(length);
  out.set(header);
  out.set(body, header.byteLength);
  return out;
}

/** The header of `frame`, or why it is not a sealed frame. */
export function readSealedHeader(frame: Uint8Array): SealedHeader | string {
  if (frame.byteLength < SEAL_OVERHEAD || frame[0] !== VERSION) {
    return `a relayed frame of ${frame.byteLength} bytes is not sealed`;
  }
  const seq = readSeq(frame, 1 + KEY_ID_BYTES);
  if (seq === undefined) return 'a relayed frame has a sequence number out of range';
  return { keyId: toBase64Url(frame.subarray(1, 1 + KEY_ID_BYTES)), seq };
}

/** The plaintext of `frame` (whose header `header` is), or undefined when it does not open. */
export async function openFrame(
  key: CryptoKey,
  frame: Uint8Array,
  header: SealedHeader,
): Promise<Uint8Array | undefined> {
  try {
    const plain = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: nonce(header.seq),
        additionalData: frame.subarray(0, HEADER_BYTES) as Uint8Array<ArrayBuffer>,
      },
      key,
      frame.subarray(HEADER_BYTES) as Uint8Array<ArrayBuffer>,
    );
    return new Uint8Array(plain);
  } catch {
    return undefined;
  }
}

/** A fresh key id for a sealed route. */
export function newKeyId(): Uint8Array {
  return randomBytes(KEY_ID_BYTES);
}

/** The 12-byte AES-GCM nonce of frame `seq`: four zero bytes, then the number (u64). */
function nonce(seq: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(12);
  writeSeq(out, 4, seq);
  return out;
}

function writeSeq(out: Uint8Array, at: number, seq: number): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(at, Math.floor(seq / 2 ** 32));
  view.setUint32(at + 4, seq >>> 0);
}

function readSeq(frame: Uint8Array, at: number): number | undefined {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const high = view.getUint32(at);
  const seq = high * 2 ** 32 + view.getUint32(at + 4);
  return seq > MAX_SEQ ? undefined : seq;
}
