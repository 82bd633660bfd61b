import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createFileDigest,
  type HashPiece,
  PIECE_BYTES,
  subtleHashPiece,
} from '../../sdk/transfer/file-digest.js';
import { wasmHashPiece } from '../../sdk/transfer/wasm-sha256.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

/** The digest as the protocol defines it, computed the plain way. */
function expected(file: Uint8Array): string {
  const pieces: Buffer[] = [];
  for (let at = 0; at < file.byteLength; at += PIECE_BYTES) {
    pieces.push(sha256(file.subarray(at, at + PIECE_BYTES)));
  }
  return sha256(Buffer.concat(pieces)).toString('hex');
}

/**
 * Feeds `file` in slices of varying size through one reused buffer, written over after each
 * update as a sender's spare frames are: a digest that kept a view instead of a copy fails.
 */
async function digestOf(file: Uint8Array, hashPiece?: HashPiece): Promise<string> {
  const digest = await createFileDigest(hashPiece);
  const scratch = new Uint8Array(PIECE_BYTES + 7);
  const sizes = [1, 13, 65_536, PIECE_BYTES - 14, PIECE_BYTES + 7, 100_000];
  for (let at = 0, i = 0; at < file.byteLength; i += 1) {
    const take = Math.min(sizes[i % sizes.length] ?? 1, file.byteLength - at);
    scratch.set(file.subarray(at, at + take));
    digest.update(scratch.subarray(0, take));
    scratch.fill(0xee);
    at += take;
  }
  return digest.hex();
}

describe('file digest (SHA-256 of 256 KiB pieces)', () => {
  const sizes = [
    0,
    1,
    PIECE_BYTES - 1,
    PIECE_BYTES,
    PIECE_BYTES + 1,
    3.5 * PIECE_BYTES,
    70 * PIECE_BYTES + 3,
  ];

  it('is SHA-256 over the pieces’ SHA-256s, whatever slices the bytes come in', async () => {
    for (const size of sizes) {
      const file = randomBytes(size);
      expect(await digestOf(file), `${size} bytes`).toBe(expected(file));
    }
  });

  it('is the SHA-256 of nothing for an empty file', async () => {
    const digest = await createFileDigest();
    expect(await digest.hex()).toBe(createHash('sha256').digest('hex'));
  });

  it('gives the same digest with hash-wasm (pages without crypto.subtle) as with WebCrypto', async () => {
    const wasm = await wasmHashPiece();
    for (const size of [0, PIECE_BYTES + 1, 5 * PIECE_BYTES]) {
      const file = randomBytes(size);
      expect(await digestOf(file, wasm)).toBe(await digestOf(file, subtleHashPiece));
    }
  });

  it('stores each piece’s digest where it belongs when they land out of order', async () => {
    // Later pieces answer first: the list must still be in file order.
    let delay = 30;
    const slowFirst: HashPiece = async (piece) => {
      const digest = sha256(piece);
      delay = Math.max(0, delay - 10);
      await new Promise((resolve) => setTimeout(resolve, delay));
      return digest;
    };
    const file = randomBytes(4 * PIECE_BYTES);
    expect(await digestOf(file, slowFirst)).toBe(expected(file));
  });

  it('rejects when a piece cannot be hashed, and refuses bytes after it was read', async () => {
    const failing: HashPiece = async () => {
      throw new Error('no SHA-256 here');
    };
    const digest = await createFileDigest(failing);
    digest.update(new Uint8Array(PIECE_BYTES + 1));
    await expect(digest.hex()).rejects.toThrow('no SHA-256 here');
    expect(() => digest.update(new Uint8Array(1))).toThrow('already read');
  });
});
