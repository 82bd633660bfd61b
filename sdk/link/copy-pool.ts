/**
 * Buffers for the copies `send()` keeps of messages, used again once the peer confirmed
 * them. A message is copied when sent (the caller may reuse its buffer) and kept until
 * acknowledged; a new buffer each time is new memory, zeroed and mapped in page by page,
 * which cost here ~28× the time of writing into memory used before (in Chromium, a third
 * of the sending page's busy time over the relay went into copying 1 MiB messages).
 *
 * Only copies of {@link MIN_POOLED_BYTES} or more are pooled (smaller allocations are cheap
 * and come from memory the runtime reuses anyway), in power-of-two size classes; a copy is
 * a view of the start of its buffer. At most {@link MAX_IDLE_BYTES} wait for reuse.
 */

/** The smallest copy made in a pooled buffer. */
export const MIN_POOLED_BYTES = 64 * 1024;
/** The largest buffer pooled: larger copies are made fresh. */
const MAX_POOLED_BUFFER = 16 * 1024 * 1024;
/** Idle buffers kept for reuse, in bytes, at most (beyond it a released one is left to GC). */
export const MAX_IDLE_BYTES = 16 * 1024 * 1024;

/** See the file's comment. One per runtime: {@link copyPool}. */
export class CopyPool {
  /** Idle buffers by size class (byte length). */
  readonly #idle = new Map<number, ArrayBuffer[]>();
  #idleBytes = 0;
  /** Buffers this pool made and has handed out: only these come back in. */
  readonly #lent = new WeakSet<ArrayBuffer>();

  /** Bytes held idle now. */
  get idleBytes(): number {
    return this.#idleBytes;
  }

  /** A copy of `source`, in a pooled buffer when it is large enough. */
  copy(source: Uint8Array): Uint8Array {
    const size = sizeClass(source.byteLength);
    if (size === undefined) return source.slice();
    let buffer = this.#idle.get(size)?.pop();
    if (buffer) this.#idleBytes -= size;
    else buffer = new ArrayBuffer(size);
    this.#lent.add(buffer);
    const copy = new Uint8Array(buffer, 0, source.byteLength);
    copy.set(source);
    return copy;
  }

  /**
   * `bytes` (a {@link copy}) will not be read again by anyone: its buffer may be written
   * over by a later copy. Anything else is ignored.
   */
  release(bytes: Uint8Array): void {
    const { buffer } = bytes;
    if (!(buffer instanceof ArrayBuffer) || !this.#lent.has(buffer)) return;
    this.#lent.delete(buffer);
    if (this.#idleBytes + buffer.byteLength > MAX_IDLE_BYTES) return;
    const list = this.#idle.get(buffer.byteLength) ?? [];
    list.push(buffer);
    this.#idle.set(buffer.byteLength, list);
    this.#idleBytes += buffer.byteLength;
  }
}

/** The power of two of at least `length` bytes, if a copy of that length is pooled. */
function sizeClass(length: number): number | undefined {
  if (length < MIN_POOLED_BYTES || length > MAX_POOLED_BUFFER) return undefined;
  return 2 ** Math.ceil(Math.log2(length));
}

/** The runtime's one pool (pages and processes have one SDK each, or a few). */
export const copyPool = new CopyPool();
