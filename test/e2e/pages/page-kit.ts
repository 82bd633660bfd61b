/**
 * Small helpers shared by the test pages (runs in the browser; DOM, WebCrypto, and
 * hash-wasm where there is no WebCrypto). Every wait here is bounded and rejects with what
 * it was waiting for.
 */

/** A timestamp comparable across pages of one browser: ms since the epoch, sub-ms precise. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The signaling server's WebSocket URL, passed by the harness as `?signaling=`. */
export function signalingUrl(): string {
  const url = new URL(location.href).searchParams.get('signaling');
  if (!url) throw new Error('this page needs ?signaling=ws://… in its URL');
  return url;
}

/** Resolves with `promise`, or rejects after `timeoutMs` with "timed out: `what`". */
export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Resolves once `check()` is true (read every 20 ms), or rejects after `timeoutMs` naming `what`. */
export async function untilTrue(
  check: () => boolean,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!check()) {
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A Blob of `parts`, once the browser holds all of it: `new Blob()` returns before its bytes
 * reach the browser process (Chromium copies them there afterwards), and a benchmark that
 * started its clock at once would time that copy too. Reading the last byte waits for it.
 */
export async function heldBlob(parts: BlobPart[]): Promise<Blob> {
  const blob = new Blob(parts);
  await blob.slice(Math.max(0, blob.size - 1)).arrayBuffer();
  return blob;
}

/**
 * Events as they happen, for tests that wait for them: `push` records one, `take` removes
 * and returns the first that matches (waiting for it), `first` returns it without removing.
 */
export class Inbox<T> {
  readonly #items: T[] = [];
  readonly #wakers = new Set<() => void>();

  push(item: T): void {
    this.#items.push(item);
    for (const wake of [...this.#wakers]) wake();
  }

  /** Everything received and not taken yet, oldest first. */
  get items(): readonly T[] {
    return this.#items;
  }

  /** Removes and returns the oldest item that matches, waiting up to `timeoutMs`. */
  async take(
    what: string,
    timeoutMs: number,
    match: (item: T) => boolean = () => true,
  ): Promise<T> {
    const find = () => {
      const index = this.#items.findIndex(match);
      return index === -1 ? undefined : this.#items.splice(index, 1)[0];
    };
    return this.#wait(what, timeoutMs, find);
  }

  /** Returns the oldest item that matches without removing it, waiting up to `timeoutMs`. */
  async first(
    what: string,
    timeoutMs: number,
    match: (item: T) => boolean = () => true,
  ): Promise<T> {
    return this.#wait(what, timeoutMs, () => this.#items.find(match));
  }

  #wait(what: string, timeoutMs: number, find: () => T | undefined): Promise<T> {
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    let wake = () => {};
    const arrived = new Promise<T>((resolve) => {
      wake = () => {
        const item = find();
        if (item !== undefined) resolve(item);
      };
      this.#wakers.add(wake);
    });
    return within(arrived, timeoutMs, what).finally(() => this.#wakers.delete(wake));
  }
}

const HASH_WASM_URL = '/hash-wasm.js';

/**
 * Lowercase hex SHA-256 of `bytes`: WebCrypto, or hash-wasm in a page that is not a secure
 * context (opened with `insecure`).
 */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  if (!globalThis.crypto?.subtle) {
    // The page server serves hash-wasm's ES module build at this path.
    const hashWasm: typeof import('hash-wasm') = await import(/* @vite-ignore */ HASH_WASM_URL);
    return hashWasm.sha256(bytes);
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
