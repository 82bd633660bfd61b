/**
 * Application-level liveness of a connection: a ping `intervalMs` after the last answer,
 * and `onDead` when one goes unanswered for `timeoutMs`. Browsers cannot see WebSocket
 * pings, and a socket on a dead network may look open for minutes.
 */
export class Heartbeat {
  #pingTimer: ReturnType<typeof setTimeout> | undefined;
  #pongTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    /** Sends a ping; returns false when there is nothing to ping. */
    private readonly sendPing: () => boolean,
    private readonly onDead: () => void,
  ) {}

  /** (Re)starts the cycle: the next ping goes out in `intervalMs`. */
  start(): void {
    this.stop();
    this.#pingTimer = setTimeout(() => {
      if (!this.sendPing()) return;
      this.#pongTimer = setTimeout(() => this.onDead(), this.timeoutMs);
    }, this.intervalMs);
  }

  /** The answer came: all is well, start the next cycle. */
  answered(): void {
    this.start();
  }

  stop(): void {
    clearTimeout(this.#pingTimer);
    clearTimeout(this.#pongTimer);
  }
}
