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
 *    then on, forgets a message it had in part, and follows (see `link.ts`).
 * No loss: a message leaves the sender's memory only when acknowledged (`ACK(seq)`, sent
 * by the receiver ~20 ms after delivering), and everything unacknowledged is sent again on
 * the new route. No duplicate: the receiver delivers sequence numbers in order, once, and
 * drops a number it has. No reordering: one route at a time is read, in order, and a
 * message cut by the move is received again from its first byte.
 *
 * Control frames are 5 bytes, `[kind][u32]`, kinds `FRAME_KIND.SWITCH` and `.ACK`.
 */
import { FRAME_KIND } from './framing.js';

/** The routes a link can send on. */
export type RouteName = 'direct' | 'relay';

/** What a received control frame means for the link. */
export type ControlEvent =
  /** The peer has every message up to `seq`. */
  | { kind: 'ack'; seq: number }
  /** The peer moved its sending to this route (a newer epoch): read only this route now. */
  | { kind: 'switch' }
  /** A SWITCH of an epoch already seen: ignore it. */
  | { kind: 'stale' };

/** Epoch bookkeeping of one link, both directions. */
export class Handover {
  #epoch = 0;
  #receivedEpoch = 0;
  #receiving: RouteName | undefined;

  /** The route whose messages are read now (undefined until the peer's first SWITCH). */
  get receiving(): RouteName | undefined {
    return this.#receiving;
  }

  /** Starts a new sending epoch; returns the SWITCH frame that announces it. */
  nextSwitch(): Uint8Array {
    this.#epoch = (this.#epoch + 1) >>> 0;
    return controlFrame(FRAME_KIND.SWITCH, this.#epoch);
  }

  /** The ACK frame for every message up to `seq`. */
  ack(seq: number): Uint8Array {
    return controlFrame(FRAME_KIND.ACK, seq);
  }

  /** Reads a frame that arrived on `route`: a control event, or undefined for any other frame. */
  read(frame: Uint8Array, route: RouteName): ControlEvent | undefined {
    const kind = frame[0];
    if (kind !== FRAME_KIND.SWITCH && kind !== FRAME_KIND.ACK) return undefined;
    if (frame.byteLength < 5) return { kind: 'stale' };
    const value = new DataView(frame.buffer, frame.byteOffset, 5).getUint32(1);
    if (kind === FRAME_KIND.ACK) return { kind: 'ack', seq: value };
    if (value <= this.#receivedEpoch) return { kind: 'stale' };
    this.#receivedEpoch = value;
    this.#receiving = route;
    return { kind: 'switch' };
  }
}

/** A 5-byte control frame: `[kind][u32 value]`. */
function controlFrame(kind: number, value: number): Uint8Array {
  const frame = new Uint8Array(5);
  frame[0] = kind;
  new DataView(frame.buffer).setUint32(1, value);
  return frame;
}
