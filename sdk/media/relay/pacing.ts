/**
 * The relay's rules for real-time media, as pure functions of the route's numbers (unit
 * tested on a fake clock): whether a frame may go now — media is never queued: a frame
 * that cannot go at once is dropped — what bitrate the video encoder should aim for, and
 * whether the next captured frame may be encoded at all within that rate.
 */
import { MEDIA_CREDIT_RESERVE, WATER_MARKS } from '../../link/flow.js';
import type { RelayMediaKind } from '../../link/relay/relay-route.js';

/** What the relay route to one peer can take now. */
export interface RelayRoom {
  /** Bytes the peer has granted and this side has not spent. */
  credit: number;
  /** The credit window (the server's `relayWindow`). */
  window: number;
  /** Bytes the signaling socket holds. */
  socketBuffered: number;
  /** True while the signaling socket can send. */
  open: boolean;
}

/** Why a media frame was not sent. */
export type DropReason = 'closed' | 'credit' | 'socket';

/**
 * Whether a media frame of `cost` relay bytes may be sent now: audio while there is credit
 * and the socket is not badly backed up; video only with {@link MEDIA_CREDIT_RESERVE} of
 * the window left after it and a short socket buffer, so audio and chat still get through.
 * Control frames (a few bytes) go whenever there is credit.
 */
export function mayMediaGo(
  kind: RelayMediaKind,
  cost: number,
  room: RelayRoom,
): DropReason | undefined {
  if (!room.open) return 'closed';
  const reserve = kind === 'video' ? room.window * MEDIA_CREDIT_RESERVE : 0;
  if (cost + reserve > room.credit) return 'credit';
  const mark =
    kind === 'video'
      ? WATER_MARKS.videoSocket
      : kind === 'audio'
        ? WATER_MARKS.audioSocket
        : WATER_MARKS.socket;
  if (room.socketBuffered > mark) return 'socket';
  return undefined;
}

/** Options of a {@link BitrateControl}. */
export interface BitrateOptions {
  /** @default 100 */
  minKbps?: number;
  /** @default 1000 */
  maxKbps?: number;
  /** @default 500 */
  startKbps?: number;
  /** The clock, in ms. @default Date.now */
  now?: () => number;
}

/** At most one decrease per this many ms (one congestion event drops several frames). */
export const DECREASE_GAP_MS = 500;
/** No increase until this long after the last drop. */
export const CALM_MS = 2000;
/** At most one increase per this many ms. */
export const INCREASE_GAP_MS = 1000;
/** Near the rate at which the path last gave out (above this share of it), climb slowly. */
export const NEAR_LIMIT = 0.85;
/** How long that rate is remembered after the last back-off (paths change), ms. */
export const LIMIT_MEMORY_MS = 30_000;

/**
 * The video bitrate target, following what the relay actually carries: each drop (no
 * credit, full socket) or queue report cuts it to 70 % (at most once per
 * {@link DECREASE_GAP_MS}); after {@link CALM_MS} without one it grows by 15 % a second, up to
 * the maximum — but only 3 % a second near the rate it last had to back off from (for
 * {@link LIMIT_MEMORY_MS}), so it does not overshoot the same link again and again. Below
 * 200 kbit/s the frame rate is halved too (`frameGapMs`), so each frame keeps some quality.
 */
export class BitrateControl {
  readonly #min: number;
  readonly #max: number;
  readonly #now: () => number;
  #kbps: number;
  #lastDrop = Number.NEGATIVE_INFINITY;
  #lastChange = Number.NEGATIVE_INFINITY;
  /** The rate the last back-off was from (where the path gave out). */
  #limit = Number.POSITIVE_INFINITY;

  constructor(options: BitrateOptions = {}) {
    this.#min = options.minKbps ?? 100;
    this.#max = options.maxKbps ?? 1000;
    this.#kbps = options.startKbps ?? 500;
    this.#now = options.now ?? Date.now;
  }

  /** The target now, in kbit/s. */
  get kbps(): number {
    return this.#kbps;
  }

  /** The shortest gap between two video frames to encode, in ms (0: every frame). */
  get frameGapMs(): number {
    return this.#kbps < 200 ? 90 : 0;
  }

  /** A frame was dropped for lack of credit or socket room. */
  dropped(): void {
    const now = this.#now();
    this.#lastDrop = now;
    if (now - this.#lastChange < DECREASE_GAP_MS) return;
    this.#limit = this.#kbps;
    this.#set(Math.max(this.#min, Math.round(this.#kbps * 0.7)), now);
  }

  /** A frame went out: after a calm spell, aim higher. */
  sent(): void {
    const now = this.#now();
    if (now - this.#lastDrop < CALM_MS || now - this.#lastChange < INCREASE_GAP_MS) return;
    const near =
      now - this.#lastDrop < LIMIT_MEMORY_MS && this.#kbps * 1.15 > NEAR_LIMIT * this.#limit;
    const factor = near ? 1.03 : 1.15;
    this.#set(Math.min(this.#max, Math.max(this.#kbps + 1, Math.round(this.#kbps * factor))), now);
  }

  #set(kbps: number, now: number): void {
    if (kbps === this.#kbps) return;
    this.#kbps = kbps;
    this.#lastChange = now;
  }
}

/** Encoded video may run this far ahead of the target rate (its bits over this many ms). */
export const BUDGET_AHEAD_MS = 100;
/**
 * A key frame is charged at most this many ms of the rate: the frames after it pause that
 * long at most (a 1280×720 key frame can be a second's worth; the link's queue it leaves is
 * the receiver's `DELAY` reports' to handle).
 */
export const KEY_CHARGE_MS = 300;
/** Captured frames looked at per verdict on the encoded size ({@link FrameBudget.overrun}). */
export const OVERRUN_FRAMES = 30;
/** More than this share of them skipped: frames at this size are too large for the rate. */
export const OVERRUN_SHARE = 0.3;

/**
 * The sender's frame dropper: what the encoder makes is held to the target rate, whatever
 * the encoder does. A software encoder misses low targets by 2× on a detailed, noisy
 * picture (measured: 490–545 kbit/s sent against a 246 kbit/s target), and a key frame is
 * many frames' worth at once; either way the surplus would queue on the link, and the
 * audio behind it. A leaky bucket fills with every frame sent (a key frame with at most
 * {@link KEY_CHARGE_MS} of the rate) and drains at the target; while it holds more than
 * {@link BUDGET_AHEAD_MS} of the rate, captured frames are skipped before encoding (the
 * decoder on the other side loses nothing it needs). When it skips
 * over {@link OVERRUN_SHARE} of {@link OVERRUN_FRAMES} frames, {@link FrameBudget.overrun}
 * says so once: the picture should get smaller.
 */
export class FrameBudget {
  readonly #now: () => number;
  /** Bits sent and not yet drained at the target rate. */
  #level = 0;
  #at: number;
  #looked = 0;
  #skipped = 0;
  #overrun = false;
  /** The rate last asked about, kbit/s. */
  #kbps = 0;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#at = now();
  }

  /** Whether a frame captured now may be encoded at `kbps`; a false counts as a skip. */
  allows(kbps: number): boolean {
    this.#drain(kbps);
    this.#kbps = kbps;
    const allowed = this.#level <= kbps * BUDGET_AHEAD_MS;
    this.#looked += 1;
    if (!allowed) this.#skipped += 1;
    if (this.#looked >= OVERRUN_FRAMES) {
      this.#overrun = this.#skipped > OVERRUN_SHARE * this.#looked;
      this.#looked = 0;
      this.#skipped = 0;
    }
    return allowed;
  }

  /** A frame of `bytes` went out; `key`: a key frame. */
  spent(bytes: number, key = false): void {
    const bits = bytes * 8;
    this.#level += key ? Math.min(bits, this.#kbps * KEY_CHARGE_MS) : bits;
  }

  /** True once after a run of frames that were skipped too often (see the class comment). */
  get overrun(): boolean {
    const overrun = this.#overrun;
    this.#overrun = false;
    return overrun;
  }

  /** Forget what was sent (a new source, or a pause that let the link drain). */
  reset(): void {
    this.#level = 0;
    this.#looked = 0;
    this.#skipped = 0;
    this.#overrun = false;
  }

  #drain(kbps: number): void {
    const now = this.#now();
    // kbit/s is bits per ms.
    this.#level = Math.max(0, this.#level - (now - this.#at) * kbps);
    this.#at = now;
  }
}
