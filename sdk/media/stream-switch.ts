/**
 * Which of a remote peer's streams the application sees: the one from its direct route
 * (WebRTC) or the one decoded from the relay. Relayed media, while the peer sends it, wins:
 * the peer sends it only while its direct route does not carry media. Moving between them
 * is told like any change of stream: `stream-ended` for the old one, then `stream` with
 * the new one (the app sets `srcObject` again, as on any `stream` event).
 */
import { Emitter } from '../emitter.js';

/** Events of a {@link StreamSwitch}. */
export interface StreamSwitchEvents {
  /** The stream to show started, or its tracks changed (the same object). */
  stream: (stream: MediaStream) => void;
  /** The stream shown so far ended (another may follow at once). */
  ended: (stream: MediaStream) => void;
}

/** One remote peer's two possible streams, and the one the application sees. */
export class StreamSwitch extends Emitter<StreamSwitchEvents> {
  #direct: MediaStream | undefined;
  #relay: MediaStream | undefined;
  #shown: MediaStream | undefined;

  /** The stream the application sees now. */
  get current(): MediaStream | undefined {
    return this.#relay ?? this.#direct;
  }

  /** The direct route's stream started or changed. */
  direct(stream: MediaStream): void {
    this.#direct = stream;
    this.#update(stream);
  }

  /** The direct route's stream ended. */
  directEnded(stream: MediaStream): void {
    if (this.#direct !== stream) return;
    this.#direct = undefined;
    this.#update(undefined);
  }

  /** The relayed stream started or changed. */
  relay(stream: MediaStream): void {
    this.#relay = stream;
    this.#update(stream);
  }

  /** The relayed stream ended. */
  relayEnded(stream: MediaStream): void {
    if (this.#relay !== stream) return;
    this.#relay = undefined;
    this.#update(undefined);
  }

  /** Tells what changed; `touched`: the stream whose tracks may have changed. */
  #update(touched: MediaStream | undefined): void {
    const now = this.current;
    const shown = this.#shown;
    if (now === shown) {
      if (now && now === touched) this.emit('stream', now);
      return;
    }
    this.#shown = now;
    if (shown) this.emit('ended', shown);
    if (now) this.emit('stream', now);
  }
}
