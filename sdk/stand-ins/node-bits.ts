/**
 * Browser stand-ins for the small Node pieces simple-peer 9 uses beside its stream (see
 * `sdk/simple-peer.ts`). Each does exactly what simple-peer asks of the real one.
 */

/** `require('buffer').Buffer`: simple-peer only wraps incoming `ArrayBuffer`s. */
export const Buffer = {
  from(data: ArrayBuffer): Uint8Array {
    return new Uint8Array(data);
  },
  isBuffer(value: unknown): boolean {
    return value instanceof Uint8Array;
  },
};

/** `require('randombytes')`: simple-peer reads its ids with `.toString('hex')`. */
export function randombytes(size: number): { toString(encoding?: string): string } {
  const bytes = crypto.getRandomValues(new Uint8Array(size));
  return {
    toString: () => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(''),
  };
}

/** `require('debug')`: the SDK does not print simple-peer's debug log in browsers. */
export function debug(_namespace: string): (...args: unknown[]) => void {
  return () => {};
}
