/**
 * Flow control, in one place: every water mark of the SDK, and the one helper that waits
 * for a buffer to drain where there is no event to say so.
 *
 * The picture, for one peer: the link's outbox feeds the message lane until the lane
 * buffers {@link WATER_MARKS}`.message`; file transfers feed the bulk lane until it buffers
 * `.bulk`; a lane says `drain` when it is back down to `.laneLow`. Over the relay, lanes
 * also stop handing frames to the signaling socket above `.socket`.
 */

/** Buffered bytes at which senders stop (high) or may go on (low). */
export const WATER_MARKS = {
  /** The link's outbox stops feeding the message lane when it buffers this much. */
  message: 1024 * 1024,
  /** File transfers stop feeding the bulk lane when it buffers this much. */
  bulk: 2 * 1024 * 1024,
  /** A lane emits `drain` once its buffer is down to this. */
  laneLow: 512 * 1024,
  /** Relay frames wait while the signaling socket buffers more than this. */
  socket: 1024 * 1024,
  /** Relay media: a video frame is dropped while the socket buffers more than this. */
  videoSocket: 128 * 1024,
  /** Relay media: an audio frame is dropped while the socket buffers more than this. */
  audioSocket: 512 * 1024,
  /** While relay media flows, file pieces wait while the socket buffers more than this. */
  bulkWithMedia: 64 * 1024,
} as const;

/**
 * Relay credit kept back, as a fraction of the window: a video frame goes only if this
 * much credit is left after it (for audio and messages), and while media flows file
 * pieces go only if twice this much is left (so media finds credit when it comes).
 */
export const MEDIA_CREDIT_RESERVE = 1 / 8;

/** How often to look at a buffer where no event says it drained (wrtc, WebSockets). */
export const DRAIN_POLL_MS = 5;

/**
 * Polls until a buffer has drained: `start(drained, onDrained)` looks at `drained()`
 * every {@link DRAIN_POLL_MS} and calls `onDrained` once, the first time it is true.
 * Starting it while it runs changes nothing; `stop()` ends it without a call.
 */
export class DrainPoll {
  #timer: ReturnType<typeof setInterval> | undefined;

  /** True while polling. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  start(drained: () => boolean, onDrained: () => void): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (!drained()) return;
      this.stop();
      onDrained();
    }, DRAIN_POLL_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
