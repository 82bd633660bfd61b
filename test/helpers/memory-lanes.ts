import { Emitter } from '../../sdk/emitter.js';
import { MAX_FRAME_BYTES } from '../../sdk/link/framing.js';
import type { Lane, LaneEvents } from '../../sdk/link/lane.js';

/**
 * One end of an in-memory lane pair: frames sent on one end arrive at the other on a later
 * macrotask, in order. `bufferedAmount` counts frames not yet delivered, and deliveries
 * can be paused, so back-pressure is real. `cut()` ends both ends at once, losing every
 * frame still in flight, as a dying data channel would. An end asked to lend its frames
 * (`lendFrames`) emits each in one shared buffer and scribbles over it once the listeners
 * returned, so a listener that keeps a lent frame reads garbage.
 */
export class MemoryLane extends Emitter<LaneEvents> implements Lane {
  peer: MemoryLane | undefined;
  maxFrameBytes = MAX_FRAME_BYTES;
  /** As a route sets it on its bulk lane (`Lane.pace`). */
  pace: number | undefined;
  #queue: Uint8Array[] = [];
  #buffered = 0;
  #open = false;
  #scheduled = false;
  /** Every frame this end sent, for tests that look at the wire. */
  readonly sent: Uint8Array[] = [];
  /** While true, frames wait in this end's buffer. */
  paused = false;
  /** Set by `lendFrames()`: frames are emitted in `#lent`, scribbled over after. */
  lending = false;
  #lent = new Uint8Array(0);
  /** Called on each frame before it is sent; return false to drop it silently. */
  filter: (frame: Uint8Array) => boolean = () => true;

  get open(): boolean {
    return this.#open;
  }

  get bufferedAmount(): number {
    return this.#buffered;
  }

  send(frame: Uint8Array): void {
    if (!this.#open) throw new Error('lane not open');
    // Copies, as a data channel's send makes one: the sender may write over `frame` after.
    const copy = frame.slice();
    this.sent.push(copy);
    if (!this.filter(copy)) return;
    this.#queue.push(copy);
    this.#buffered += frame.byteLength;
    this.#schedule();
  }

  awaitDrain(): void {
    this.#schedule();
  }

  /** Delivers what waits (unless paused). */
  resume(): void {
    this.paused = false;
    this.#schedule();
  }

  lendFrames(): void {
    this.lending = true;
  }

  /** Hands `frame` to this end as if it arrived (a test playing a meddling network). */
  inject(frame: Uint8Array): void {
    if (!this.lending) {
      this.emit('frame', frame);
      return;
    }
    if (this.#lent.byteLength < frame.byteLength) this.#lent = new Uint8Array(frame.byteLength);
    const lent = this.#lent.subarray(0, frame.byteLength);
    lent.set(frame);
    this.emit('frame', lent);
    lent.fill(0xee);
  }

  /** Delivers the oldest waiting frame now, even while paused (a path that trickles). */
  deliverOne(): void {
    const frame = this.#queue.shift();
    if (!frame || !this.#open) return;
    this.#buffered -= frame.byteLength;
    this.peer?.inject(frame);
  }

  openNow(): void {
    this.#open = true;
    this.emit('open');
  }

  cut(): void {
    for (const end of [this, this.peer]) {
      if (end === undefined || !end.#open) continue;
      end.#open = false;
      end.#queue = [];
      end.#buffered = 0;
      end.emit('close');
    }
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => {
      this.#scheduled = false;
      if (this.paused || !this.#open) return;
      const frames = this.#queue.splice(0, 32);
      for (const frame of frames) {
        this.#buffered -= frame.byteLength;
        this.peer?.inject(frame);
      }
      this.emit('drain');
      if (this.#queue.length > 0) this.#schedule();
    }, 0);
  }
}

/** Two connected ends, open at once unless `open` is false. */
export function memoryLanePair(open = true): [MemoryLane, MemoryLane] {
  const a = new MemoryLane();
  const b = new MemoryLane();
  a.peer = b;
  b.peer = a;
  if (open) {
    a.openNow();
    b.openNow();
  }
  return [a, b];
}
