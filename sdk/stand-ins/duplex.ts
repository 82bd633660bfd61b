/**
 * A browser stand-in for readable-stream's `Duplex`, with only what simple-peer 9 uses:
 * `push()` (incoming data → `data` events), `write()`/`end()` through `_write()` one chunk
 * at a time (→ `finish`), `_readableState.ended`, `_writableState.finished`, and Node's
 * event-emitter methods. It replaces readable-stream, `events`, `process` and most of
 * `buffer` (~20 KiB gzip) in the SDK's browser build; see `sdk/simple-peer.ts`.
 *
 * Like a Node stream in flowing mode: chunks pushed before the first `data` listener are
 * kept and delivered to it, in order. simple-peer overrides `destroy()` itself.
 */

type Listener = (...args: never[]) => void;
/** A `once` wrapper remembers the listener it wraps, so `removeListener` finds it. */
type Stored = Listener & { listener?: Listener };
type WriteCallback = (error?: Error | null) => void;

/** The subset of Node's `EventEmitter` that simple-peer and its users call. */
export class EventEmitter {
  #listeners = new Map<string | symbol, Stored[]>();

  on(event: string | symbol, listener: Listener): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }

  addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  once(event: string | symbol, listener: Listener): this {
    const wrapper: Stored = (...args: never[]) => {
      this.removeListener(event, wrapper);
      listener(...args);
    };
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  removeListener(event: string | symbol, listener: Listener): this {
    const list = this.#listeners.get(event) ?? [];
    const index = list.findIndex((l) => l === listener || l.listener === listener);
    if (index >= 0) this.#listeners.set(event, [...list.slice(0, index), ...list.slice(index + 1)]);
    return this;
  }

  off(event: string | symbol, listener: Listener): this {
    return this.removeListener(event, listener);
  }

  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  listenerCount(event: string | symbol): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Calls every listener of `event` in order. An `error` nobody listens to is thrown, as in Node. */
  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = this.#listeners.get(event);
    if (!list?.length) {
      if (event === 'error') throw args[0] instanceof Error ? args[0] : new Error(String(args[0]));
      return false;
    }
    for (const listener of list) (listener as (...a: unknown[]) => void)(...args);
    return true;
  }
}

/** A readable and writable stream of chunks, as far as simple-peer needs one. */
export class Duplex extends EventEmitter {
  // Options (e.g. `allowHalfOpen`) are accepted and ignored: simple-peer closes both ways.
  readonly _readableState = { ended: false };
  readonly _writableState = { finished: false, ending: false };
  readable = true;
  writable = true;
  /** Pushed before anyone listened to `data`. */
  #unread: unknown[] = [];
  /** Written, waiting for the chunk before them to be accepted by `_write`. */
  #unwritten: { chunk: unknown; callback: WriteCallback | undefined }[] = [];
  #writing = false;

  /** Subclasses receive written chunks here, one at a time, and call `callback` when done. */
  _write(_chunk: unknown, _encoding: string, callback: WriteCallback): void {
    callback(null);
  }

  /** A new chunk from the source, or `null` at its end. */
  push(chunk: unknown): boolean {
    if (this._readableState.ended) return false;
    if (chunk === null) {
      this._readableState.ended = true;
      queueMicrotask(() => this.#flushThenEnd());
      return false;
    }
    if (this.listenerCount('data') > 0 && this.#unread.length === 0) this.emit('data', chunk);
    else this.#unread.push(chunk);
    return true;
  }

  override on(event: string | symbol, listener: Listener): this {
    super.on(event, listener);
    if (event === 'data' && this.#unread.length > 0) queueMicrotask(() => this.#flushThenEnd());
    return this;
  }

  write(chunk: unknown, callback?: WriteCallback): boolean {
    if (this._writableState.ending) {
      const error = new Error('write after end');
      queueMicrotask(() => (callback ? callback(error) : this.emit('error', error)));
      return false;
    }
    this.#unwritten.push({ chunk, callback });
    this.#writeNext();
    return !this.#writing;
  }

  /** No more writes; `finish` follows once everything written was accepted. */
  end(callback?: () => void): this {
    if (callback) this.once('finish', callback);
    if (this._writableState.ending) return this;
    this._writableState.ending = true;
    this.#writeNext();
    return this;
  }

  #writeNext(): void {
    if (this.#writing) return;
    const next = this.#unwritten.shift();
    if (!next) {
      if (this._writableState.ending && !this._writableState.finished) {
        this._writableState.finished = true;
        this.writable = false;
        queueMicrotask(() => this.emit('finish'));
      }
      return;
    }
    this.#writing = true;
    this._write(next.chunk, 'buffer', (error) => {
      this.#writing = false;
      next.callback?.(error);
      if (error) {
        if (!next.callback) this.emit('error', error);
        return;
      }
      this.#writeNext();
    });
  }

  #flushThenEnd(): void {
    while (this.#unread.length > 0 && this.listenerCount('data') > 0) {
      this.emit('data', this.#unread.shift());
    }
    if (this._readableState.ended && this.#unread.length === 0 && this.readable) {
      this.readable = false;
      this.emit('end');
    }
  }
}
