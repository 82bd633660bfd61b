/**
 * Relayed media (audio and video) sealed end to end: every media frame is sealed with
 * AES-GCM (`sealed-frame.ts`) under this side's media key for the pair — per sender,
 * receiver and sender key id (random per sealed route, so never the same key after a
 * reload) — with a counter as the nonce that only ever grows for the life of the route
 * (across links, reconnects and resumes), so no (key, nonce) pair is used twice.
 *
 * Media is lossy: a frame that finds no room is dropped, never sent again. So the
 * receiver accepts gaps, and refuses replays with a sliding window (`replay-window.ts`):
 * a number seen before, or older than the window, is refused, as is a key id the peer
 * stopped using. A frame that does not open is dropped and reported through the media
 * end's `invalid` (`INVALID_DATA`, naming the peer); the decoder then asks for a key frame
 * as after any loss, and the call goes on. Before anything from the peer ever opened, it
 * is another secret (or none): `onMismatch`.
 *
 * WebCrypto is asynchronous: frames are sealed (and opened) side by side and handed on in
 * order. Bytes being sealed count against the credit and socket room the sender sees, so
 * the relay's pacing rules hold for the sealed size.
 */
import type { MediaEnd, MediaRoute, RelayMediaKind } from '../link/relay/relay-route.js';
import { ReplayWindow } from './replay-window.js';
import {
  MAX_SEQ,
  openFrame,
  readSealedHeader,
  SEAL_OVERHEAD,
  type SealedHeader,
  sealFrame,
} from './sealed-frame.js';
import type { LaneKeys, SealProblems } from './sealed-lane.js';

/** What {@link SealedMedia} counts (for tests and stats). */
export interface SealedMediaCounts {
  /** Frames sealed and handed to the relay. */
  sealed: number;
  /** Sealed frames the relay had no room for when they were ready (lost, as any drop). */
  lostAfterSealing: number;
  /** Frames opened and handed on. */
  opened: number;
  /** Frames refused: did not open, a replay, too old, or under a retired key id. */
  refused: number;
}

/**
 * What a receiver has taken from the peer's media: its key id now with its replay window,
 * and the ids it used before. Like a lane's `LaneRecord`, it outlives a sealed route.
 */
export interface MediaRecord {
  current: { keyId: string; window: ReplayWindow } | undefined;
  /** Key ids the peer used before (8 bytes each, one per route it made to us). */
  readonly retired: Set<string>;
}

/** A record of media nothing has been taken of yet. */
export function newMediaRecord(): MediaRecord {
  return { current: undefined, retired: new Set() };
}

/** A {@link MediaRoute} sealed end to end (see the file's comment). */
export class SealedMedia implements MediaRoute {
  /** Where opened media from the peer goes; undefined: nothing is opened. */
  media: MediaEnd | undefined;
  readonly counts: SealedMediaCounts = { sealed: 0, lostAfterSealing: 0, opened: 0, refused: 0 };
  #seq = 0;
  /** Relay bytes (sealed, with piece tags) of frames being sealed. */
  #pending = 0;
  #sending: Promise<void> = Promise.resolve();
  #receiving: Promise<void> = Promise.resolve();

  constructor(
    private readonly inner: MediaRoute,
    private readonly keys: LaneKeys,
    /** Shared with the route's lanes; a frame that does not open once trusted is `media.invalid`. */
    private readonly problems: Pick<SealProblems, 'trust' | 'onMismatch'>,
    /** What was taken from the peer's media, by this route or one before it. */
    private readonly record: MediaRecord = newMediaRecord(),
  ) {
    inner.media = {
      frame: (bytes) => this.#receive(bytes),
      invalid: (reason) => this.media?.invalid(reason),
    };
  }

  get mediaAllowed(): boolean {
    return this.inner.mediaAllowed;
  }

  /**
   * The inner route's room, less what frames being sealed will take and what sealing adds
   * to the next frame (its header and tag, and perhaps one more piece's tag byte).
   */
  get mediaRoom(): MediaRoute['mediaRoom'] {
    const room = this.inner.mediaRoom;
    return {
      ...room,
      credit: room.credit - this.#pending - SEAL_OVERHEAD - 1,
      socketBuffered: room.socketBuffered + this.#pending,
    };
  }

  get pieceBytes(): number {
    return this.inner.pieceBytes;
  }

  wantCredit(): void {
    this.inner.wantCredit();
  }

  /**
   * Seals `frame` and sends it once sealed, after the frames before it. True when it was
   * taken (the caller checked the room, as for any media frame); a frame the relay has no
   * room for once sealed is lost, like any dropped media frame.
   */
  sendMedia(frame: Uint8Array, kind: RelayMediaKind): boolean {
    if (!this.inner.mediaRoom.open || this.#seq > MAX_SEQ) return false;
    const seq = this.#seq;
    this.#seq += 1;
    const sealedBytes = frame.byteLength + SEAL_OVERHEAD;
    const cost = sealedBytes + Math.ceil(sealedBytes / this.inner.pieceBytes);
    this.#pending += cost;
    const sealing = this.keys.seal.then((key) => sealFrame(key, this.keys.keyId, seq, frame));
    this.#sending = this.#sending.then(async () => {
      let out: Uint8Array | undefined;
      try {
        out = await sealing;
      } catch {
        // WebCrypto refused (never seen): the frame is lost like a dropped one.
      }
      this.#pending -= cost;
      if (out && this.inner.sendMedia(out, kind)) this.counts.sealed += 1;
      else this.counts.lostAfterSealing += 1;
    });
    return true;
  }

  #receive(frame: Uint8Array): void {
    if (!this.media) return; // no one plays it: not worth opening
    const header = readSealedHeader(frame);
    const opening =
      typeof header === 'string'
        ? Promise.resolve(header)
        : this.keys.open(header.keyId).then(async (key) => {
            const plain = await openFrame(key, frame, header);
            return plain
              ? { header, plain }
              : 'a relayed media frame did not open with this room secret';
          });
    // Opened side by side, taken in arrival order.
    this.#receiving = this.#receiving.then(async () => this.#take(await opening));
  }

  /** Takes an opened frame: not a replay, not too old, not under a retired key id. */
  #take(opened: { header: SealedHeader; plain: Uint8Array } | string): void {
    if (typeof opened === 'string') {
      this.#refuse(opened);
      return;
    }
    const { keyId, seq } = opened.header;
    const { record } = this;
    if (record.retired.has(keyId)) {
      this.#refuse('a relayed media frame under a key the peer no longer uses (a replay)');
      return;
    }
    const refusal = record.current?.keyId === keyId ? record.current.window.check(seq) : undefined;
    if (refusal) {
      this.#refuse(
        refusal === 'replay'
          ? `a relayed media frame repeats number ${seq} (a replay)`
          : `a relayed media frame number ${seq} is older than the replay window`,
      );
      return;
    }
    if (record.current?.keyId !== keyId) {
      // A new key id of the peer (a new route of its own): the one before is never taken again.
      if (record.current) record.retired.add(record.current.keyId);
      record.current = { keyId, window: new ReplayWindow() };
    }
    record.current.window.take(seq);
    this.problems.trust.opened = true;
    this.counts.opened += 1;
    this.media?.frame(opened.plain);
  }

  #refuse(reason: string): void {
    this.counts.refused += 1;
    if (this.problems.trust.opened) this.media?.invalid(reason);
    else this.problems.onMismatch(reason);
  }
}
