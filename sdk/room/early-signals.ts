import type { PeerId, SignalData } from '../../signaling/protocol.js';

/** How long signals from a peer presence has not announced are kept, in ms. */
const HOLD_MS = 10_000;
const MAX_SENDERS = 32;
const MAX_SIGNALS_PER_SENDER = 64;

/**
 * Signals from peers this room does not know yet. A server may deliver a newcomer's first
 * offer before announcing the newcomer (e.g. when presence and signals travel different
 * paths in a cluster); they are kept briefly and replayed when the peer appears.
 */
export class EarlySignals {
  readonly #held = new Map<
    PeerId,
    { signals: SignalData[]; timer: ReturnType<typeof setTimeout> }
  >();

  hold(from: PeerId, data: SignalData): void {
    let entry = this.#held.get(from);
    if (!entry) {
      if (this.#held.size >= MAX_SENDERS) return;
      const timer = setTimeout(() => this.#held.delete(from), HOLD_MS);
      entry = { signals: [], timer };
      this.#held.set(from, entry);
    }
    if (entry.signals.length < MAX_SIGNALS_PER_SENDER) entry.signals.push(data);
  }

  /** The signals held for `id`, in arrival order; forgets them. */
  take(id: PeerId): SignalData[] {
    const entry = this.#held.get(id);
    if (!entry) return [];
    clearTimeout(entry.timer);
    this.#held.delete(id);
    return entry.signals;
  }

  clear(): void {
    for (const { timer } of this.#held.values()) clearTimeout(timer);
    this.#held.clear();
  }
}
