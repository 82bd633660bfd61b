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
 * WebCrypto is asynchronous: frames wait in one queue per direction, so order holds, and
 * the bytes waiting count in `bufferedAmount` (back-pressure is unchanged).
 */
import { Emitter } from '../emitter.js';
import { WATER_MARKS } from '../link/flow.js';
import type { Lane, LaneEvents } from '../link/lane.js';
import { randomBytes, toBase64Url } from './room-keys.js';

const VERSION = 1;
const KEY_ID_BYTES = 8;
const HEADER_BYTES = 1 + KEY_ID_BYTES + 8;
const TAG_BYTES = 16;
/** Bytes a sealed frame adds to the frame it carries. */
export const SEAL_OVERHEAD = HEADER_BYTES + TAG_BYTES;

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
  #seq = 0n;
  #pending = 0;
  #sending: Promise<void> = Promise.resolve();
  #receiving: Promise<void> = Promise.resolve();
  #drainWanted = false;
  /** The last sequence number opened under each key id seen; retired ids map to -1n. */
  readonly #last = new Map<string, bigint>();
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
    this.#seq += 1n;
    const plain = frame.slice(); // sealed later: the caller may reuse its buffer
    this.#pending += plain.byteLength;
    this.#sending = this.#sending.then(async () => {
      const header = new Uint8Array(HEADER_BYTES);
      header[0] = VERSION;
      header.set(this.keys.keyId, 1);
      new DataView(header.buffer).setBigUint64(1 + KEY_ID_BYTES, seq);
      const sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv: iv(seq), additionalData: header },
        await this.keys.seal,
        plain,
      );
      this.#pending -= plain.byteLength;
      const out = new Uint8Array(HEADER_BYTES + sealed.byteLength);
      out.set(header);
      out.set(new Uint8Array(sealed), HEADER_BYTES);
      try {
        this.inner.send(out);
      } catch {
        // The lane closed meanwhile; its route decides what happens next.
      }
      this.#maybeDrain();
    });
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
    this.#receiving = this.#receiving.then(() => this.#openFrame(frame));
  }

  async #openFrame(frame: Uint8Array): Promise<void> {
    if (frame.byteLength < SEAL_OVERHEAD || frame[0] !== VERSION) {
      this.#refuse(`a relayed frame of ${frame.byteLength} bytes is not sealed`);
      return;
    }
    const header = frame.slice(0, HEADER_BYTES);
    const keyId = toBase64Url(header.subarray(1, 1 + KEY_ID_BYTES));
    const seq = new DataView(header.buffer).getBigUint64(1 + KEY_ID_BYTES);
    const last = this.#last.get(keyId);
    if (last === -1n) {
      this.#refuse('a relayed frame under a key the peer no longer uses (a replay)');
      return;
    }
    if (last !== undefined && seq <= last) {
      this.#refuse(`a relayed frame repeats sequence number ${seq} (a replay)`);
      return;
    }
    let plain: ArrayBuffer;
    try {
      plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: iv(seq), additionalData: header },
        await this.keys.open(keyId),
        frame.subarray(HEADER_BYTES) as Uint8Array<ArrayBuffer>,
      );
    } catch {
      this.#refuse('a relayed frame did not open with this room secret');
      return;
    }
    if (this.#current !== keyId) {
      // A new key id of the peer (a reload, a new link): the old one is never taken again.
      if (this.#current !== undefined) this.#last.set(this.#current, -1n);
      this.#current = keyId;
    }
    this.#last.set(keyId, seq);
    this.problems.trust.opened = true;
    this.emit('frame', new Uint8Array(plain));
  }

  #refuse(reason: string): void {
    if (this.problems.trust.opened) this.problems.onInvalid(reason);
    else this.problems.onMismatch(reason);
  }
}

/** The 12-byte AES-GCM nonce of frame `seq`: four zero bytes, then the number. */
function iv(seq: bigint): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(12);
  new DataView(out.buffer).setBigUint64(4, seq);
  return out;
}

/** A fresh key id for a sealed route. */
export function newKeyId(): Uint8Array {
  return randomBytes(KEY_ID_BYTES);
}
