import { PeerlaneError } from './errors.js';

/** An event map: each event name to the signature of its listeners. */
export type EventMap<T> = { [K in keyof T]: (...args: never[]) => void };

/**
 * A tiny typed event emitter, browser-safe (no `node:events`). Events and their listener
 * signatures come from one map, so a name or an argument cannot be misspelt.
 *
 * A listener that throws does not stop the other listeners nor the SDK's own work: the
 * error is rethrown from a microtask, where it surfaces like any uncaught error.
 */
export class Emitter<Events extends EventMap<Events>> {
  readonly #listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  /**
   * Calls `listener` each time `event` is emitted. Returns `this` for chaining. Throws
   * `INVALID_ARGUMENT` if `listener` is not a function (it would fail only when called).
   */
  on<K extends keyof Events>(event: K, listener: Events[K]): this {
    if (typeof listener !== 'function') {
      throw new PeerlaneError(
        'INVALID_ARGUMENT',
        `on('${String(event)}', listener): the listener must be a function (got ${listener === null ? 'null' : typeof listener})`,
      );
    }
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return this;
  }

  /** Removes a listener added with {@link on}. Returns `this` for chaining. */
  off<K extends keyof Events>(event: K, listener: Events[K]): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  /** How many listeners `event` has. */
  protected listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Calls every listener of `event` with `args`, in the order they were added. */
  protected emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (...a: Parameters<Events[K]>) => void)(...args);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
