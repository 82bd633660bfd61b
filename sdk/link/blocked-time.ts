/**
 * How long this page's thread was blocked between two runs of a periodic check: a check
 * that runs late cannot have watched meanwhile, and frames that arrived may not be
 * dispatched yet, so that time proves nothing about a route (`stall-watch.ts`, the direct
 * route's liveness). A run counts as late when it comes more than one period after due.
 */
export class BlockedTime {
  #last = 0;

  constructor(private readonly everyMs: number) {}

  /** The check (re)starts at `now`. */
  start(now: number): void {
    this.#last = now;
  }

  /** The check runs at `now`: how long beyond its slack it came late, in ms (0: on time). */
  since(now: number): number {
    const blocked = now - this.#last - 2 * this.everyMs;
    this.#last = now;
    return Math.max(0, blocked);
  }
}
