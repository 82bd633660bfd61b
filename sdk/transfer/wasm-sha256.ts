/**
 * SHA-256 in WebAssembly (hash-wasm), for pages without WebCrypto (not a secure context).
 * A module of its own so that `file-digest.ts` imports it only there: bundlers put it in a
 * chunk of its own that other pages never load.
 */
import { createSHA256 } from 'hash-wasm';

/** SHA-256 of one piece at a time, with hash-wasm. */
export async function wasmHashPiece(): Promise<(piece: Uint8Array) => Promise<Uint8Array>> {
  const hasher = await createSHA256();
  return async (piece) => {
    hasher.init();
    hasher.update(piece);
    return hasher.digest('binary');
  };
}
