/** What an {@link OfferQueue} drives: one side's offers on one RTCPeerConnection. */
export interface OfferQueueOptions {
  /**
   * Makes one offer and hands it to signaling: `createOffer` (with `iceRestart` when
   * asked), `setLocalDescription`, send. The round ends when {@link OfferQueue.settled} is
   * called (the answer was applied and the signaling state is back to 'stable').
   */
  offer(iceRestart: boolean): Promise<void>;
  /** An offer unanswered for this long may be replaced by a new one, in ms. @default 5000 */
  staleMs?: number;
  /** The clock, in ms. @default Date.now */
  now?: () => number;
}

/**
 * One offer/answer round at a time on one connection, for the side that makes the offers.
 *
 * A second `createOffer` while the first one's answer is on its way is what makes
 * simple-peer renegotiation fail with "Called in wrong state: kStable" (simple-peer #703):
 * the first answer lands on the second offer, or after the connection went back to
 * 'stable'. So every renegotiation (media tracks added or removed, ICE restarts) asks
 * here, and a request made while a round is in flight waits for it to end; requests that
 * pile up meanwhile are merged into one round (an ICE restart, if any asked for one — an
 * ICE-restart offer carries every media change too).
 *
 * The only exception is an offer that went unanswered for `staleMs` (lost while signaling
 * was down): the next request replaces it instead of waiting forever. Creating an offer
 * in 'have-local-offer' is legal and keeps the pending offer's ICE credentials.
 */
export class OfferQueue {
  #inFlight: boolean;
  #startedAt: number;
  #pendingIce = false;
  #pending = false;
  #closed = false;
  readonly #staleMs: number;
  readonly #now: () => number;

  /**
   * @param inFlight true when the connection's first offer is already being made by
   *   someone else (simple-peer makes the initial one): requests wait for it to settle.
   */
  constructor(
    private readonly options: OfferQueueOptions,
    inFlight: boolean,
  ) {
    this.#staleMs = options.staleMs ?? 5000;
    this.#now = options.now ?? Date.now;
    this.#inFlight = inFlight;
    this.#startedAt = this.#now();
  }

  /** True while an offer awaits its answer. */
  get busy(): boolean {
    return this.#inFlight;
  }

  /** Asks for a round: now when idle, else after the round in flight (merged with others). */
  request(iceRestart: boolean): void {
    if (this.#closed) return;
    this.#pending = true;
    this.#pendingIce ||= iceRestart;
    if (!this.#inFlight || this.#now() - this.#startedAt >= this.#staleMs) this.#start();
  }

  /** The round in flight is over (the signaling state is 'stable'): run what waited. */
  settled(): void {
    this.#inFlight = false;
    if (this.#pending && !this.#closed) this.#start();
  }

  /** Drops every request; nothing more is offered. */
  close(): void {
    this.#closed = true;
    this.#pending = false;
  }

  #start(): void {
    const iceRestart = this.#pendingIce;
    this.#pending = false;
    this.#pendingIce = false;
    this.#inFlight = true;
    this.#startedAt = this.#now();
    this.options.offer(iceRestart).catch(() => {
      // No offer went out (e.g. the connection is closing): nothing will settle this round.
      this.#inFlight = false;
    });
  }
}
