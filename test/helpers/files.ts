/**
 * Test files without test fixtures: the xorshift byte pattern of `e2e/pages/pattern.ts`,
 * produced as a stream of any length (1 GiB never sits in memory), and sinks that hash
 * what they are given.
 */
import { createHash } from 'node:crypto';

/**
 * The bytes of `patternBytes(length, seed)`, made `chunkBytes` at a time (a multiple of 4,
 * so the pattern continues across chunks) into a reused buffer: only one chunk exists at
 * a time unless the consumer keeps them (each one handed out is a fresh copy).
 */
export async function* patternChunks(
  length: number,
  seed: number,
  chunkBytes = 256 * 1024,
): AsyncGenerator<Uint8Array> {
  if (chunkBytes % 4 !== 0) throw new Error('chunkBytes must be a multiple of 4');
  let state = seed >>> 0 || 0x9e3779b9;
  for (let done = 0; done < length; done += chunkBytes) {
    const size = Math.min(chunkBytes, length - done);
    const chunk = new Uint8Array(size);
    for (let i = 0; i < size; i += 4) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      chunk[i] = state & 0xff;
      if (i + 1 < size) chunk[i + 1] = (state >>> 8) & 0xff;
      if (i + 2 < size) chunk[i + 2] = (state >>> 16) & 0xff;
      if (i + 3 < size) chunk[i + 3] = state >>> 24;
    }
    yield chunk;
  }
}

/** The same bytes as a web ReadableStream (pulled only when the reader wants more). */
export function patternStream(length: number, seed: number): ReadableStream<Uint8Array> {
  const chunks = patternChunks(length, seed);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
  });
}

/** SHA-256 (hex) of the pattern, computed chunk by chunk. */
export async function patternSha256(length: number, seed: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of patternChunks(length, seed)) hash.update(chunk);
  return hash.digest('hex');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A WritableStream that hashes and counts what it is given and keeps nothing: where a
 * received file goes when only its bytes matter. `delayMs` makes each write slow.
 */
export function hashingSink(delayMs = 0) {
  const hash = createHash('sha256');
  const result = { bytes: 0, writes: 0, closed: false, aborted: undefined as unknown, sha256: '' };
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      hash.update(chunk);
      result.bytes += chunk.byteLength;
      result.writes += 1;
    },
    close() {
      result.closed = true;
      result.sha256 = hash.digest('hex');
    },
    abort(reason) {
      result.aborted = reason ?? 'aborted';
    },
  });
  return { writable, result };
}
