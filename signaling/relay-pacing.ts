import { TokenBucket } from './token-bucket.js';

/** The part of a socket pacing needs: stop and restart reading it. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/**
 * Paces one connection's relay traffic. Relay frames skip the frame-rate limit (their
 * size is what counts): over `relayRateLimit` bytes per second, or when the room's own
 * relay budget says so, the server stops reading the connection for a while instead of
 * dropping data, and TCP pushes back on the sender.
 */
export class RelayPacing {
  #rate: TokenBucket | undefined;
  #pausedUntil = 0;
  #resumeTimer: NodeJS.Timeout | undefined;

  constructor(
    /** Relay bytes per second the connection may send. */
    private readonly limit: number,
    private readonly socket: Pausable,
  ) {}

  /**
   * A relay frame of `bytes` was accepted; its room asked for a pause of `roomPause` ms.
   * Stops reading for the longer of that and the connection's own debt, if any.
   */
  accepted(bytes: number, roomPause: number): void {
    this.#rate ??= new TokenBucket(this.limit, this.limit);
    const pause = Math.max(roomPause, this.#rate.consume(bytes));
    if (pause > 0) this.#pauseReading(pause);
  }

  /** The connection closed: no resume is due. */
  stop(): void {
    clearTimeout(this.#resumeTimer);
  }

  /**
   * Stops reading the socket for `ms`. Frames it had already buffered still arrive while
   * paused; each pushes the resume time out to cover its own cost.
   */
  #pauseReading(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    if (this.#resumeTimer === undefined) this.socket.pause();
    else clearTimeout(this.#resumeTimer);
    this.#resumeTimer = setTimeout(() => {
      this.#pausedUntil = 0;
      this.#resumeTimer = undefined;
      this.socket.resume();
    }, ms);
    this.#resumeTimer.unref();
  }
}
