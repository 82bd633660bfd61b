/**
 * Incremental SHA-256 for file transfers, over a whole file fed chunk by chunk. WebCrypto
 * has no incremental digest, so browsers use hash-wasm's (WebAssembly, ~220 MiB/s per
 * core here); Node uses its own `node:crypto` (native, ~1.5 GiB/s here), imported at run
 * time under a name the browser bundler does not follow. The only file that hashes.
 */
import { createSHA256 } from 'hash-wasm';
import { isNode } from '../runtime.js';

/** A running SHA-256. */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  /** The lowercase hex digest of everything fed so far; the hash cannot be fed after. */
  hex(): string;
}

/** Kept in a variable so that bundlers leave the import alone (it never runs in a browser). */
const NODE_CRYPTO = 'node:crypto';

/** Starts a SHA-256. */
export async function createSha256(): Promise<Sha256> {
  if (isNode()) {
    const crypto = (await import(/* @vite-ignore */ NODE_CRYPTO)) as typeof import('node:crypto');
    const hash = crypto.createHash('sha256');
    return {
      update: (bytes) => {
        hash.update(bytes);
      },
      hex: () => hash.digest('hex'),
    };
  }
  const hasher = await createSHA256();
  hasher.init();
  return {
    update: (bytes) => {
      hasher.update(bytes);
    },
    hex: () => hasher.digest('hex'),
  };
}
