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
 * WebCrypto is asynchronous and has a cost per call, so frames are sealed in batches — what
 * is sent while {@link MAX_SEALS_IN_FLIGHT} seals are under way waits and goes in the next
 * one — as `[u32 length][frame]…` in one sealed frame. A lone frame (chat) is sealed at
 * once, alone; small frames sent together share a seal. A batch holds at most one relay
 * piece (and {@link MAX_BATCH_BYTES}): a sealed frame then never spans pieces, so the
 * receiver opens each piece as it arrives instead of waiting for a batch's last piece. (Up
 * to 256 KiB per batch, four pieces, `e2ee` cost `peer.send` over the relay ~3× the extra
 * CPU: the relay benchmark, five runs each, README.) Sealed frames are handed on in order
 * through one queue per direction; the bytes waiting count in `bufferedAmount`
 * (back-pressure is unchanged). Buffers are reused rather than made anew (new memory is
 * what costs most here): the batch, the buffer sealed frames are joined in for the inner
 * lane, and, on the receiving side, the inner relay lane's buffer for frames put back
 * together from pieces (lent: see `Lane.lendFrames`).
 */
import { Emitter } from '../emitter.js';
import { WATER_MARKS } from '../link/flow.js';
import type { Lane, LaneEvents } from '../link/lane.js';
import {
  joinSealed,
  openFrame,
  readSealedHeader,
  SEAL_OVERHEAD,
  type SealedHeader,
  type SealedParts,
  sealParts,
} from './sealed-frame.js';

/** The most bytes sealed in one batch (one AES-GCM call), length prefixes included. */
export const MAX_BATCH_BYTES = 64 * 1024;
/** Seals under way at once; frames sent meanwhile wait for the next batch. */
export const MAX_SEALS_IN_FLIGHT = 8;
/** The length prefix of each frame in a batch. */
const LENGTH_BYTES = 4;

/** Keys of one direction pair of one lane. */
export interface LaneKeys {
  /** This side's key id (random per sealed route). */
  readonly keyId: Uint8Array;
  /** The key this side seals with. */
  seal: Promise<CryptoKey>;
  /** The key the peer sealed with under `keyId` (base64url). */
  open(keyId: string): Promise<CryptoKey>;
}

/**
 * What a receiver has taken from the peer on one lane: the last sequence number under each
 * of the peer's key ids (retired ids: -1) and its current one. It outlives a sealed route —
 * a route made anew for the same peer (the room gave the peer up and met it again, while
 * the peer kept its own) takes on the record, so frames already taken are not taken again.
 */
export interface LaneRecord {
  readonly last: Map<string, number>;
  current: string | undefined;
}

/** A record of a lane nothing has been taken on yet. */
export function newLaneRecord(): LaneRecord {
  return { last: new Map(), current: undefined };
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
  /** Set by the link while a call runs over the relay (`callFilePace`). */
  pace: number | undefined;
  #seq = 0;
  /** Plaintext bytes sent and not yet sealed and handed to the inner lane. */
  #pending = 0;
  #sending: Promise<void> = Promise.resolve();
  /** Frames waiting for the next seal, length-prefixed; `#batchAt` bytes of it are used. */
  #batch: Uint8Array | undefined;
  #batchAt = 0;
  #batchFrames = 0;
  #sealsInFlight = 0;
  #flushQueued = false;
  #receiving: Promise<void> = Promise.resolve();
  #drainWanted = false;
  /** The key this side seals with, once derived: a batch is then sealed at once. */
  #sealKey: CryptoKey | undefined;
  /**
   * A batch buffer to fill again: WebCrypto copies what it seals when called, so once a
   * batch is handed to it its buffer is free (a new one per batch cost a new allocation).
   */
  #spareBatch: Uint8Array | undefined;
  /**
   * Where sealed frames are put together for the inner lane, which copies what it is sent:
   * one buffer for every frame (a new one per frame cost a new allocation). Grows like a batch.
   */
  #wire: Uint8Array | undefined;
  /** The key the peer seals with under its current key id, once derived. */
  #openKey: { keyId: string; key: CryptoKey } | undefined;

  constructor(
    private readonly inner: Lane,
    private readonly keys: LaneKeys,
    private readonly problems: SealProblems,
    /** What was taken from the peer on this lane, by this route or one before it. */
    private readonly record: LaneRecord = newLaneRecord(),
  ) {
    super();
    keys.seal.then(
      (key) => {
        this.#sealKey = key;
      },
      () => {}, // sealing fails where it is awaited (`#seal`)
    );
    inner.on('open', () => this.emit('open'));
    inner.on('close', () => this.emit('close'));
    inner.on('drain', () => this.#maybeDrain());
    inner.on('frame', (frame) => this.#receive(frame));
    // Each frame is handed to WebCrypto (which copies it) or copied before its event returns.
    inner.lendFrames?.();
  }

  get open(): boolean {
    return this.inner.open;
  }

  get bufferedAmount(): number {
    return this.#pending + this.inner.bufferedAmount;
  }

  get maxFrameBytes(): number {
    return this.inner.maxFrameBytes - SEAL_OVERHEAD - LENGTH_BYTES;
  }

  send(frame: Uint8Array): void {
    if (!this.inner.open) throw new Error('the lane is closed');
    const need = LENGTH_BYTES + frame.byteLength;
    if (this.#batchAt + need > this.#batchLimit) this.#seal();
    this.#reserve(need);
    const batch = this.#batch as Uint8Array;
    new DataView(batch.buffer).setUint32(this.#batchAt, frame.byteLength);
    batch.set(frame, this.#batchAt + LENGTH_BYTES); // a copy: the caller may reuse `frame`
    this.#batchAt += need;
    this.#batchFrames += 1;
    this.#pending += frame.byteLength;
    this.#queueFlush();
  }

  /** The most bytes a batch holds: one relay piece once sealed, at most {@link MAX_BATCH_BYTES}. */
  get #batchLimit(): number {
    return Math.min(MAX_BATCH_BYTES, this.inner.maxFrameBytes - SEAL_OVERHEAD);
  }

  /** Room for `bytes` more in the batch: a full batch's buffer, the spare one if there is one. */
  #reserve(bytes: number): void {
    if (!this.#batch && this.#spareBatch) {
      this.#batch = this.#spareBatch;
      this.#spareBatch = undefined;
    }
    const size = this.#batch?.byteLength ?? 0;
    if (this.#batchAt + bytes <= size) return;
    // Only a frame larger than the lane takes makes a batch's buffer grow past the limit.
    const grown = new Uint8Array(Math.max(this.#batchAt + bytes, this.#batchLimit));
    if (this.#batch) grown.set(this.#batch.subarray(0, this.#batchAt));
    this.#batch = grown;
  }

  /** The buffer to join `parts` in: {@link #wire}, grown to a full batch's frame if need be. */
  #wireFor({ header, body }: SealedParts): Uint8Array {
    const length = header.byteLength + body.byteLength;
    if (this.#wire && this.#wire.byteLength >= length) return this.#wire;
    this.#wire = new Uint8Array(Math.max(length, this.#batchLimit + SEAL_OVERHEAD));
    return this.#wire;
  }

  /** Seals the batch after this task (frames sent in it join), unless enough seals are under way. */
  #queueFlush(): void {
    if (this.#flushQueued || this.#sealsInFlight >= MAX_SEALS_IN_FLIGHT) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      if (this.#sealsInFlight < MAX_SEALS_IN_FLIGHT) this.#seal();
    });
  }

  /** Starts sealing the batch; it goes out after the ones before it. */
  #seal(): void {
    const batch = this.#batch;
    if (!batch || this.#batchFrames === 0) return;
    const plain = batch.subarray(0, this.#batchAt);
    const bytes = this.#batchAt - this.#batchFrames * LENGTH_BYTES;
    this.#batch = undefined;
    this.#batchAt = 0;
    this.#batchFrames = 0;
    const seq = this.#seq;
    this.#seq += 1;
    this.#sealsInFlight += 1;
    const key = this.#sealKey;
    let sealing: Promise<SealedParts>;
    if (key) {
      // Called now, WebCrypto has its copy of `plain` when this returns: the buffer is free.
      sealing = sealParts(key, this.keys.keyId, seq, plain);
      this.#spareBatch = batch;
    } else {
      sealing = this.keys.seal.then((k) => sealParts(k, this.keys.keyId, seq, plain));
    }
    this.#sending = this.#sending.then(async () => {
      const parts = await sealing;
      this.#sealsInFlight -= 1;
      this.#pending -= bytes;
      try {
        // Joined here, in order, and sent at once: the next frame may use the buffer again.
        this.inner.send(joinSealed(parts, this.#wireFor(parts)));
      } catch {
        // The lane closed meanwhile; its route decides what happens next.
      }
      this.#maybeDrain();
      if (this.#batchFrames > 0) this.#queueFlush();
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
    // Opening starts now (frames are opened side by side); they are taken in order.
    const opening = this.#open(frame);
    this.#receiving = this.#receiving.then(async () => this.#take(await opening));
  }

  /**
   * Decrypts one frame; frames open out of order, so no state but the cached opening key is
   * read or changed here. With that key at hand, WebCrypto is called (and has its copy of
   * the frame) before this returns; otherwise the frame is copied first. Either way the
   * inner lane may reuse the frame's buffer (see `Lane.lendFrames`).
   */
  #open(frame: Uint8Array): Promise<Opened | string> {
    const header = readSealedHeader(frame);
    if (typeof header === 'string') return Promise.resolve(header);
    const known = this.#openKey;
    if (known?.keyId === header.keyId) return opened(known.key, frame, header);
    const copy = frame.slice();
    return this.keys.open(header.keyId).then((key) => {
      this.#openKey = { keyId: header.keyId, key };
      return opened(key, copy, header);
    });
  }

  /** Takes an opened frame, in arrival order: no replay, no retired key id. */
  #take(opened: Opened | string): void {
    if (typeof opened === 'string') {
      this.#refuse(opened);
      return;
    }
    const { keyId, seq, plain } = opened;
    const { record } = this;
    const last = record.last.get(keyId);
    if (last === -1) {
      this.#refuse('a relayed frame under a key the peer no longer uses (a replay)');
      return;
    }
    if (last !== undefined && seq <= last) {
      this.#refuse(`a relayed frame repeats sequence number ${seq} (a replay)`);
      return;
    }
    if (record.current !== keyId) {
      // A new key id of the peer (a reload, a new link): the old one is never taken again.
      if (record.current !== undefined) record.last.set(record.current, -1);
      record.current = keyId;
    }
    record.last.set(keyId, seq);
    this.problems.trust.opened = true;
    const frames = unbatch(plain);
    if (!frames) {
      this.#refuse('a sealed batch of frames is malformed');
      return;
    }
    for (const frame of frames) this.emit('frame', frame);
  }

  #refuse(reason: string): void {
    if (this.problems.trust.opened) this.problems.onInvalid(reason);
    else this.problems.onMismatch(reason);
  }
}

/** `frame` opened under `key`, or why not. */
async function opened(
  key: CryptoKey,
  frame: Uint8Array,
  header: SealedHeader,
): Promise<Opened | string> {
  const plain = await openFrame(key, frame, header);
  return plain ? { ...header, plain } : 'a relayed frame did not open with this room secret';
}

/** The frames of a batch (`[u32 length][frame]…`, views on it), or undefined if malformed. */
function unbatch(plain: Uint8Array): Uint8Array[] | undefined {
  const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  const frames: Uint8Array[] = [];
  for (let at = 0; at < plain.byteLength; ) {
    if (at + LENGTH_BYTES > plain.byteLength) return undefined;
    const end = at + LENGTH_BYTES + view.getUint32(at);
    if (end > plain.byteLength) return undefined;
    frames.push(plain.subarray(at + LENGTH_BYTES, end));
    at = end;
  }
  return frames.length > 0 ? frames : undefined;
}

/** A frame that opened. */
interface Opened {
  keyId: string;
  seq: number;
  plain: Uint8Array;
}
