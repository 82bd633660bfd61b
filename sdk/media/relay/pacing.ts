/**
 * The relay's rules for real-time media, as pure functions of the route's numbers (unit
 * tested on a fake clock): whether a frame may go now — media is never queued: a frame
 * that cannot go at once is dropped — and what bitrate the video encoder should aim for.
 */
import { MEDIA_CREDIT_RESERVE, WATER_MARKS } from '../../link/flow.js';

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
  kind: 'audio' | 'video' | 'control',
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
