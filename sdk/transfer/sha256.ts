/**
 * Incremental SHA-256 for file transfers, over a whole file fed chunk by chunk. WebCrypto
 * has no incremental digest, so this is hash-wasm's (WebAssembly, ~200 MiB/s here: far
 * faster than a data channel). The only file that imports it.
 */
import { createSHA256 } from 'hash-wasm';

/** A running SHA-256. */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  /** The lowercase hex digest of everything fed so far; the hash cannot be fed after. */
  hex(): string;
}

/** Starts a SHA-256. */
export async function createSha256(): Promise<Sha256> {
  const hasher = await createSHA256();
  hasher.init();
  return {
    update: (bytes) => {
      hasher.update(bytes);
    },
    hex: () => hasher.digest('hex'),
  };
}
