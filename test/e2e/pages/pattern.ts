/**
 * Deterministic test bytes, the same in Node and in the browser (no imports, no globals):
 * a xorshift32 stream, so a dropped, repeated or reordered chunk changes the hash.
 */
export function patternBytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < length; i += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
    if (i + 1 < length) bytes[i + 1] = (state >>> 8) & 0xff;
    if (i + 2 < length) bytes[i + 2] = (state >>> 16) & 0xff;
    if (i + 3 < length) bytes[i + 3] = state >>> 24;
  }
  return bytes;
}
