/**
 * Is each person still there? When someone's network vanishes without a goodbye, the SDK
 * says `reconnecting` once they are heard on no route for 7.5 s, but they leave the room
 * only when the server notices the dead socket, after its heartbeat and grace periods
 * (up to a minute). A call should not keep a frozen tile that long, so the demo asks for
 * itself as well: every page broadcasts a
 * tiny "beat" every {@link BEAT_MS}, and a person heard from before who stays silent is
 * `lost` after {@link LOST_AFTER_MS} and `gone` (their tile removed) after
 * {@link GONE_AFTER_MS}. The clock starts at the first message or once the connection
 * is up, whichever comes first; before that the SDK's state alone says how they are.
 */

/** How often each page says it is alive. */
export const BEAT_MS = 2000;
/** Silence after which a person is shown as "Connection lost" (three missed beats). */
export const LOST_AFTER_MS = 6000;
/** Silence after which a person is removed from the call on this page. */
export const GONE_AFTER_MS = 20_000;

/** What the silence of one person means. */
export type Presence = 'live' | 'lost' | 'gone';

/** The beat on the wire: a JSON string, like the chat messages. */
const BEAT = JSON.stringify({ type: 'beat' });

/** The message a page broadcasts every {@link BEAT_MS}. */
export function encodeBeat(): string {
  return BEAT;
}

/** True when `data` is a beat (other apps in the room may send anything). */
export function isBeat(data: string): boolean {
  return data === BEAT;
}

/**
 * When each person was last heard from (any message counts, not only beats). `now` is
 * injected so that the thresholds are tested without waiting.
 */
export class Liveness {
  readonly #heard = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A message from `id` arrived. */
  heard(id: string): void {
    this.#heard.set(id, this.now());
  }

  /** `id` left: forget it. */
  forget(id: string): void {
    this.#heard.delete(id);
  }

  /** Whether `id` was ever heard from (the liveness test applies to those only). */
  known(id: string): boolean {
    return this.#heard.has(id);
  }

  /** What the silence of `id` means now (`live` when never heard from). */
  presence(id: string): Presence {
    const last = this.#heard.get(id);
    if (last === undefined) return 'live';
    const silent = this.now() - last;
    if (silent >= GONE_AFTER_MS) return 'gone';
    if (silent >= LOST_AFTER_MS) return 'lost';
    return 'live';
  }
}
