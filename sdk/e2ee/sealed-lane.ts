/**
 * A relay lane sealed end to end: every frame is encrypted with AES-GCM before it reaches
 * the server and opened after, so the server relays (and counts credit on) ciphertext
 * only. Frame: `[1][keyId 8][seq u64][ciphertext + 16-byte tag]`; the header is the
 * additional data. The key is per direction, lane and sender `keyId` (random per sealed
 * route), the nonce is the sequence number: no (key, nonce) pair is ever used twice.
 *
 * Receiving: a frame is opened only under a key id not retired, with a sequence number
 * above the last one opened under it (no replay). A frame that does not open is dropped:
 * before anything from the peer ever opened (on either lane), it has another secret (or none) —
 * `onMismatch`; later, it was changed on the way — `onInvalid` (the link's hand-over sends
 * what is lost again).
 *
 * WebCrypto is asynchronous: frames are sealed (and opened) side by side, then handed on
 * in order through one queue per direction; the bytes waiting count in `bufferedAmount`
 * (back-pressure is unchanged).
 */
import { Emitter } from '../emitter.js';
import { WATER_MARKS } from '../link/flow.js';
import type { Lane, LaneEvents } from '../link/lane.js';
import { openFrame, readSealedHeader, SEAL_OVERHEAD, sealFrame } from './sealed-frame.js';

/** Keys of one direction pair of one lane. */
export interface LaneKeys {
  /** This side's key id (random per sealed route). */
  readonly keyId: Uint8Array;
  /** The key this side seals with. */
  seal: Promise<CryptoKey>;
  /** The key the peer sealed with under `keyId` (base64url). */
  open(keyId: string): Promise<CryptoKey>;
}

/** What a sealed lane reports about frames that did not open. */
export interface SealProblems {
  /** Shared by the lanes of a route: whether anything from the peer has opened yet. */
  readonly trust: { opened: boolean };
  /** Nothing from the peer ever opened: another secret, or none. */
  onMismatch(reason: string): void;
  /** A frame did not open after others did: dropped (whatever it carried must be sent again). */
  onInvalid(reason: string): void;
}

/** One lane of a sealed route (see the file's comment). */
export class SealedLane extends Emitter<LaneEvents> implements Lane {
  #seq = 0;
  #pending = 0;
  #sending: Promise<void> = Promise.resolve();
  #receiving: Promise<void> = Promise.resolve();
  #drainWanted = false;
  /** The last sequence number opened under each key id seen; retired ids map to -1. */
  readonly #last = new Map<string, number>();
  #current: string | undefined;

  constructor(
    private readonly inner: Lane,
    private readonly keys: LaneKeys,
    private readonly problems: SealProblems,
  ) {
    super();
    inner.on('open', () => this.emit('open'));
    inner.on('close', () => this.emit('close'));
    inner.on('drain', () => this.#maybeDrain());
    inner.on('frame', (frame) => this.#receive(frame));
  }

  get open(): boolean {
    return this.inner.open;
  }

  get bufferedAmount(): number {
    return this.#pending + this.inner.bufferedAmount;
  }

  get maxFrameBytes(): number {
    return this.inner.maxFrameBytes - SEAL_OVERHEAD;
  }

  send(frame: Uint8Array): void {
    if (!this.inner.open) throw new Error('the lane is closed');
    const seq = this.#seq;
    this.#seq += 1;
    const bytes = frame.byteLength;
    this.#pending += bytes;
    // Sealing starts now (frames are sealed side by side); they go out in order.
    const sealing = this.#seal(seq, frame.slice());
    this.#sending = this.#sending.then(async () => {
      const out = await sealing;
      this.#pending -= bytes;
      try {
        this.inner.send(out);
      } catch {
        // The lane closed meanwhile; its route decides what happens next.
      }
      this.#maybeDrain();
    });
  }

  async #seal(seq: number, plain: Uint8Array): Promise<Uint8Array> {
    return sealFrame(await this.keys.seal, this.keys.keyId, seq, plain);
  }

  awaitDrain(): void {
    this.#drainWanted = true;
    this.inner.awaitDrain();
  }

  /** Says `drain` once both our queue and the inner lane are down to the low-water mark. */
  #maybeDrain(): void {
    if (!this.#drainWanted) return;
    if (this.bufferedAmount <= WATER_MARKS.laneLow) {
      this.#drainWanted = false;
      this.emit('drain');
    } else if (this.#pending === 0) {
      // All sealed: what is left waits in the inner lane, which says when it drained.
      this.inner.awaitDrain();
    }
  }

  #receive(frame: Uint8Array): void {
    // Opening starts now (frames are opened side by side); they are taken in order.
    const opening = this.#open(frame);
    this.#receiving = this.#receiving.then(async () => this.#take(await opening));
  }

  /** Decrypts one frame; no state is read or changed here (frames open out of order). */
  async #open(frame: Uint8Array): Promise<Opened | string> {
    const header = readSealedHeader(frame);
    if (typeof header === 'string') return header;
    const plain = await openFrame(await this.keys.open(header.keyId), frame, header);
    if (!plain) return 'a relayed frame did not open with this room secret';
    return { ...header, plain };
  }

  /** Takes an opened frame, in arrival order: no replay, no retired key id. */
  #take(opened: Opened | string): void {
    if (typeof opened === 'string') {
      this.#refuse(opened);
      return;
    }
    const { keyId, seq, plain } = opened;
    const last = this.#last.get(keyId);
    if (last === -1) {
      this.#refuse('a relayed frame under a key the peer no longer uses (a replay)');
      return;
    }
    if (last !== undefined && seq <= last) {
      this.#refuse(`a relayed frame repeats sequence number ${seq} (a replay)`);
      return;
    }
    if (this.#current !== keyId) {
      // A new key id of the peer (a reload, a new link): the old one is never taken again.
      if (this.#current !== undefined) this.#last.set(this.#current, -1);
      this.#current = keyId;
    }
    this.#last.set(keyId, seq);
    this.problems.trust.opened = true;
    this.emit('frame', plain);
  }

  #refuse(reason: string): void {
    if (this.problems.trust.opened) this.problems.onInvalid(reason);
    else this.problems.onMismatch(reason);
  }
}

/** A frame that opened. */
interface Opened {
  keyId: string;
  seq: number;
  plain: Uint8Array;
}
