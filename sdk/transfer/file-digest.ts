/**
 * The digest that proves a file arrived whole: SHA-256 over the SHA-256s of the file's
 * {@link PIECE_BYTES} pieces, in order (the last piece may be shorter; an empty file has no
 * pieces, and its digest is the SHA-256 of nothing). Both sides feed it each byte once, in
 * order, as the bytes stream; the sender puts the result in its `end` frame and the
 * receiver compares.
 *
 * Why pieces: WebCrypto has no incremental SHA-256, but one call per piece does the work
 * natively (the CPU's SHA instructions where it has them): ~0.9 ms per MiB in Chromium
 * here, against ~4.6 ms for SHA-256 in WebAssembly (hash-wasm), on the same thread. Node
 * does it on its thread pool. Where `crypto.subtle` is missing — a browser page that is not
 * a secure context — pieces are hashed with hash-wasm (`wasm-sha256.ts`), loaded only then.
 */

/** Bytes per piece: larger pieces cost Chromium more (a 1 MiB copy is 4× a 256 KiB one). */
export const PIECE_BYTES = 256 * 1024;

const DIGEST_BYTES = 32;

/** A running file digest. */
export interface FileDigest {
  /** Feeds the file's next bytes; they are copied, so the caller may reuse `bytes` at once. */
  update(bytes: Uint8Array): void;
  /**
   * The lowercase hex digest of everything fed; nothing may be fed after. Rejects if a
   * piece could not be hashed.
   */
  hex(): Promise<string>;
}

/**
 * SHA-256 of one piece. It must be done with `piece` when it returns (copy it, or hash it
 * then): the caller writes the next piece over it.
 */
export type HashPiece = (piece: Uint8Array) => Promise<ArrayBuffer | Uint8Array>;

/** SHA-256 with WebCrypto, which copies its input when called. */
export const subtleHashPiece: HashPiece = (piece) =>
  crypto.subtle.digest('SHA-256', piece as Uint8Array<ArrayBuffer>);

/**
 * Starts a file digest, hashing pieces with `hashPiece` (default: WebCrypto where it is,
 * else hash-wasm).
 */
export async function createFileDigest(hashPiece?: HashPiece): Promise<FileDigest> {
  if (hashPiece) return new PieceDigest(hashPiece);
  if (globalThis.crypto?.subtle) return new PieceDigest(subtleHashPiece);
  const { wasmHashPiece } = await import('./wasm-sha256.js');
  return new PieceDigest(await wasmHashPiece());
}

class PieceDigest implements FileDigest {
  readonly #hash: HashPiece;
  /**
   * The piece being filled, made on the first bytes: a receiver makes its digest with the
   * offer, and offers waiting for the app's decision must not hold 256 KiB each.
   */
  #piece: Uint8Array | undefined;
  #filled = 0;
  #pieces = 0;
  /** Piece digests, in order; grows by doubling. */
  #digests = new Uint8Array(DIGEST_BYTES * 64);
  /** Settles once every piece handed out so far has its digest stored. */
  #stored: Promise<unknown> = Promise.resolve();
  #failure: unknown;
  #ended = false;

  constructor(hash: HashPiece) {
    this.#hash = hash;
  }

  update(bytes: Uint8Array): void {
    if (this.#ended) throw new Error('the file digest was already read');
    this.#piece ??= new Uint8Array(PIECE_BYTES);
    let at = 0;
    while (at < bytes.byteLength) {
      const take = Math.min(PIECE_BYTES - this.#filled, bytes.byteLength - at);
      this.#piece.set(bytes.subarray(at, at + take), this.#filled);
      this.#filled += take;
      at += take;
      if (this.#filled === PIECE_BYTES) this.#hashPiece(this.#piece);
    }
  }

  async hex(): Promise<string> {
    if (!this.#ended) {
      this.#ended = true;
      if (this.#piece && this.#filled > 0) this.#hashPiece(this.#piece);
    }
    await this.#stored;
    if (this.#failure !== undefined) throw this.#failure;
    const list = this.#digests.subarray(0, this.#pieces * DIGEST_BYTES);
    return toHex(new Uint8Array(await this.#hash(list)));
  }

  /** Hashes the first `#filled` bytes of `buffer` (the piece) as the next piece. */
  #hashPiece(buffer: Uint8Array): void {
    const index = this.#pieces;
    this.#pieces += 1;
    const piece = buffer.subarray(0, this.#filled);
    this.#filled = 0;
    if (this.#digests.byteLength < this.#pieces * DIGEST_BYTES) {
      const grown = new Uint8Array(this.#digests.byteLength * 2);
      grown.set(this.#digests);
      this.#digests = grown;
    }
    let digest: Promise<ArrayBuffer | Uint8Array>;
    try {
      digest = this.#hash(piece);
    } catch (error) {
      digest = Promise.reject(error);
    }
    const stored = digest.then(
      // Read #digests when the digest lands: the list may have grown since.
      (bytes) => this.#digests.set(new Uint8Array(bytes), index * DIGEST_BYTES),
      (error: unknown) => {
        this.#failure ??= error;
      },
    );
    this.#stored = Promise.all([this.#stored, stored]);
  }
}

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
