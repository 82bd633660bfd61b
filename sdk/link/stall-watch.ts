/**
 * Notices a route that stopped moving data, from the data itself: something waits on it —
 * messages the peer has not acknowledged, or bytes in a lane's send buffer — and for
 * `stallMs` nothing moved: no acknowledgement came and no lane's buffer shrank. That is
 * seconds sooner than ICE says `disconnected` (6–8 s after a path dies in Chromium), and it
 * also catches a path ICE still believes in.
 *
 * A slow route is not a stalled one: a large message or file on a slow path keeps draining
 * its lane, which counts as progress, so only a route where nothing at all moves is reported.
 * Nor is a busy thread: time in which the watch could not look (this page's own thread was
 * blocked, e.g. hashing a file or making its bytes) does not count towards a stall.
 */
import { BlockedTime } from './blocked-time.js';
import type { Lane } from './lane.js';

/** How often the watch looks, as a fraction of `stallMs`. */
const LOOKS_PER_STALL = 8;

/** Options of a {@link StallWatch}. */
export interface StallWatchOptions {
  /** Nothing moved for this long while something waited: a stall. */
  stallMs: number;
  /** Since when messages have waited for an acknowledgement (undefined: none waits). */
  waitingSince(): number | undefined;
  /** The lanes to watch (the route in use). */
  lanes(): readonly Lane[];
  /**
   * The route stalled: nothing moved since `since` (ms, `Date.now()`'s clock). The watch
   * starts counting afresh.
   */
  onStall(since: number): void;
}

/** Watches the route in use while it is started (see the file's comment). */
export class StallWatch {
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Each watched lane's buffered bytes at the last look. */
  #buffered = new Map<Lane, number>();
  /** The last time a lane's buffer shrank, nothing waited, or the count (re)started. */
  #movedAt = 0;
  /** Time the page's thread was blocked between looks: not watched, so not counted. */
  readonly #blocked: BlockedTime;

  constructor(private readonly options: StallWatchOptions) {
    this.#blocked = new BlockedTime(this.#every());
  }

  /** Starts watching (again): the count starts now. */
  start(): void {
    this.#reset();
    this.#timer ??= setInterval(() => this.#look(), this.#every());
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #every(): number {
    return Math.max(1, Math.floor(this.options.stallMs / LOOKS_PER_STALL));
  }

  #reset(): void {
    this.#buffered.clear();
    this.#movedAt = Date.now();
    this.#blocked.start(this.#movedAt);
  }

  #look(): void {
    const now = Date.now();
    this.#movedAt += this.#blocked.since(now);
    const seen = new Map<Lane, number>();
    let buffered = false;
    for (const lane of this.options.lanes()) {
      const bytes = lane.bufferedAmount;
      const before = this.#buffered.get(lane);
      if (before !== undefined && bytes < before) this.#movedAt = now;
      if (bytes > 0) buffered = true;
      seen.set(lane, bytes);
    }
    this.#buffered = seen;
    const waitingSince = this.options.waitingSince();
    if (!buffered && waitingSince === undefined) {
      this.#movedAt = now; // nothing waits: a later wait is counted from its start
      return;
    }
    // The latest sign of progress: a lane drained, an acknowledgement, or (re)starting.
    const progress = Math.max(this.#movedAt, waitingSince ?? 0);
    if (now - progress < this.options.stallMs) return;
    this.#reset();
    this.options.onStall(progress);
  }
}
