/**
 * The hand-over protocol: how a link moves its message stream from one route to another
 * without losing, duplicating or reordering a message.
 *
 * Each side sends on one route at a time. Moving to a route:
 * 1. the sender starts a new epoch and sends `SWITCH(epoch)` as the first frame on the
 *    new route's message lane;
 * 2. it puts every message the receiver has not acknowledged back in its queue and sends
 *    them again, whole, on the new route, then whatever was waiting (`Outbox.rewind()`);
 * 3. the receiver, on `SWITCH` with a newer epoch, takes messages only from that route from
 *    then on, forgets a message it had in part, and follows (see `link.ts`). A SWITCH
 *    also says whether the sender's direct route works (`down`): a side follows another
 *    to the relay only when direct does not work on one of the two, so two sides whose
 *    SWITCH frames cross on different routes settle instead of swapping forever.
 * No loss: a message leaves the sender's memory only when acknowledged (`ACK(seq)`, sent
 * by the receiver ~20 ms after delivering), and everything unacknowledged is sent again on
 * the new route. No duplicate: the receiver delivers sequence numbers in order, once, and
 * drops a number it has. No reordering: one route at a time is read, in order, and a
 * message cut by the move is received again from its first byte.
 *
 * A link made anew (a room that gave the peer up and met it again with the same id makes a
 * new one, while the peer may keep its own) starts at message 1 and epoch 1, which the
 * peer's link would take for old ones. So each SWITCH also carries the sending link's own
 * random id: a side that sees the peer's id change starts both directions again — it
 * expects message 1 next, numbers what the peer has not acknowledged again from 1, and
 * announces its route again (sending those messages).
 *
 * Control frames are `[kind][u32]` (`FRAME_KIND.ACK`) and `[kind][u32][u8][u32]` (`.SWITCH`,
 * with the link id; peers before it send `[kind][u32][u8]`, and then nothing restarts). The
 * {@link Handover} owns the link's message stream (an `Outbox` and an `Inbox`) and runs
 * this protocol on whatever lane the link says is in use; the link decides when to move.
 */
import type { MessageData } from '../api.js';
import { PeerlaneError } from '../errors.js';
import { FRAME_KIND } from './framing.js';
import type { Lane } from './lane.js';
import { Inbox, Outbox } from './message-stream.js';

/** The routes a link can send on. */
export type RouteName = 'direct' | 'relay';

/** Options of a {@link Handover}. */
export interface HandoverOptions {
  maxMessageBytes: number;
  /** The message lane of the route in use, if it can take frames now. */
  lane(): Lane | undefined;
  /** A whole message arrived, in order, once. */
  onMessage(data: MessageData, broadcast: boolean): void;
  /** The peer moved its sending to `route` (a newer epoch); `down`: its direct route does not work. */
  onSwitch(route: RouteName, down: boolean): void;
  /** A message arrived broken (the error names no peer yet). */
  onProblem(error: PeerlaneError): void;
  /**
   * The peer is missing a message it was sent (RESEND): announce the route in use again,
   * which sends every unacknowledged message again.
   */
  onResend(): void;
}

/** How long after a delivery the receiver acknowledges (acks for a burst are one frame). */
const ACK_DELAY_MS = 20;
/**
 * At most one resend per this many ms answers RESEND: an honest receiver asks once per
 * gap, and one that asked again and again would have everything unacknowledged sent again
 * each time.
 */
const RESEND_GAP_MS = 100;

/** The control frames' names, for errors. */
const CONTROL_NAMES: Record<number, string> = {
  [FRAME_KIND.ACK]: 'ACK',
  [FRAME_KIND.SWITCH]: 'SWITCH',
  [FRAME_KIND.RESEND]: 'RESEND',
};

/** One link's message stream, both directions, across route changes (see the file's comment). */
export class Handover {
  readonly #outbox = new Outbox(true);
  readonly #inbox: Inbox;
  #epoch = 0;
  #receivedEpoch = 0;
  /** This link's id, sent with each SWITCH (never 0). */
  readonly #linkId = randomLinkId();
  /** The peer's link id from its SWITCH frames; undefined until one carried it. */
  #peerLinkId: number | undefined;
  #receiving: RouteName | undefined;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the peer last acknowledged a message, or sending last (re)started. */
  #progressAt = 0;
  /** When a RESEND was last answered. */
  #resentAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: HandoverOptions) {
    this.#inbox = new Inbox(
      options.maxMessageBytes,
      (data, broadcast) => {
        this.#scheduleAck();
        options.onMessage(data, broadcast);
      },
      (seq) => this.#control(FRAME_KIND.RESEND, seq),
    );
  }

  /** Bytes of queued messages not yet handed to a lane. */
  get queuedBytes(): number {
    return this.#outbox.queuedBytes;
  }

  /**
   * Since when (ms since the epoch) messages have waited for the peer with no
   * acknowledgement; undefined while none waits. What `stall-watch.ts` reads.
   */
  get waitingSince(): number | undefined {
    return this.#outbox.pending > 0 ? this.#progressAt : undefined;
  }

  /** Queues one message (already checked and encoded) and sends what the lane can take. */
  send(text: boolean, bytes: Uint8Array, broadcast: boolean): void {
    if (this.#outbox.pending === 0) this.#progressAt = Date.now();
    this.#outbox.push(text, bytes, broadcast);
    this.flush();
  }

  /** Hands queued frames to the lane in use, as far as it takes them. */
  flush(): void {
    const lane = this.options.lane();
    if (!lane) return;
    try {
      if (!this.#outbox.flush(lane)) lane.awaitDrain();
    } catch {
      // The lane closed under us; its route decides what happens next.
    }
  }

  /**
   * Sending moved to `route`: a new epoch, SWITCH first, then every unacknowledged message.
   * `down`: this side has no working direct route.
   */
  announce(route: RouteName, down: boolean): void {
    this.#progressAt = Date.now();
    this.#outbox.rewind();
    this.#epoch = (this.#epoch + 1) >>> 0;
    this.#control(FRAME_KIND.SWITCH, this.#epoch, down ? 1 : 0, this.#linkId);
    this.flush();
    if (route === 'relay') this.#scheduleAck();
  }

  /** Takes a frame that arrived on `route`'s message lane. */
  receive(frame: Uint8Array, route: RouteName): void {
    const kind = frame[0];
    if (kind === FRAME_KIND.SWITCH || kind === FRAME_KIND.ACK || kind === FRAME_KIND.RESEND) {
      if (frame.byteLength < 5) {
        const name = CONTROL_NAMES[kind];
        const reason = `${name} frame of ${frame.byteLength} bytes, fewer than 5; ignored`;
        this.options.onProblem(new PeerlaneError('INVALID_DATA', reason));
        return;
      }
      const value = new DataView(frame.buffer, frame.byteOffset, 5).getUint32(1);
      if (kind === FRAME_KIND.ACK) {
        if (this.#outbox.ack(value) > 0) this.#progressAt = Date.now();
      } else if (kind === FRAME_KIND.RESEND) {
        // Everything before `value` arrived: forget it, and send the rest again.
        if (value > 0) this.#outbox.ack(value - 1);
        if (this.#outbox.pending === 0 || Date.now() - this.#resentAt < RESEND_GAP_MS) return;
        this.#resentAt = Date.now();
        this.options.onResend();
      } else {
        const linkId =
          frame.byteLength >= 10
            ? new DataView(frame.buffer, frame.byteOffset, 10).getUint32(6)
            : undefined;
        const renewed =
          linkId !== undefined && this.#peerLinkId !== undefined && linkId !== this.#peerLinkId;
        this.#peerLinkId = linkId ?? this.#peerLinkId;
        if (renewed) {
          // The peer's link was made anew: it has nothing of ours, and counts from 1.
          this.#receivedEpoch = 0;
          this.#inbox.restart();
          this.#outbox.restart();
        }
        if (value > this.#receivedEpoch) {
          this.#receivedEpoch = value;
          this.#receiving = route;
          this.#inbox.dropPartial();
          this.options.onSwitch(route, frame[5] === 1);
          // Tell it how far we got, so it forgets what we have.
          this.#scheduleAck();
        }
        // Send it what it has not acknowledged, numbered afresh, behind a SWITCH of ours.
        if (renewed) this.options.onResend();
      }
      return;
    }
    if (route !== this.#receiving) return;
    const problem = this.#inbox.receive(frame);
    if (problem) this.options.onProblem(problem);
  }

  /** Drops every queued message; returns how many were dropped. */
  clear(): number {
    clearTimeout(this.#ackTimer);
    return this.#outbox.clear();
  }

  #scheduleAck(): void {
    this.#ackTimer ??= setTimeout(() => {
      this.#ackTimer = undefined;
      const seq = this.#inbox.lastComplete;
      if (seq !== 0) this.#control(FRAME_KIND.ACK, seq);
    }, ACK_DELAY_MS);
  }

  /** A control frame on the lane in use. */
  #control(kind: number, value: number, flag?: number, linkId?: number): void {
    try {
      this.options.lane()?.send(controlFrame(kind, value, flag, linkId));
    } catch {
      // The lane is closing; the next route's SWITCH and acks cover it.
    }
  }
}

/**
 * A control frame: `[kind][u32 value]`, then `[u8 flag]` when there is one, then
 * `[u32 link id]` when there is one (a SWITCH).
 */
function controlFrame(kind: number, value: number, flag?: number, linkId?: number): Uint8Array {
  const frame = new Uint8Array(flag === undefined ? 5 : linkId === undefined ? 6 : 10);
  const view = new DataView(frame.buffer);
  frame[0] = kind;
  view.setUint32(1, value);
  if (flag !== undefined) frame[5] = flag;
  if (linkId !== undefined) view.setUint32(6, linkId);
  return frame;
}

/** A random link id, never 0. */
function randomLinkId(): number {
  const [id = 0] = globalThis.crypto.getRandomValues(new Uint32Array(1));
  return id === 0 ? 1 : id;
}
