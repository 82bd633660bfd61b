/**
 * Audio and video to and from one remote peer over the server's relay, while its link is
 * on the relay (`link.ts` turns it on and off): the {@link RelaySender} and
 * {@link RelayReceiver} on the route's media lane, and the STATE frames by which the two
 * sides tell each other what they publish and whether they can decode. It also says what
 * `peer.media` is while it is on (`MediaState`).
 *
 * Each side sends a STATE every {@link STATE_EVERY_MS} while on, and one saying "nothing"
 * when it turns off. The receiver plays whatever arrives, on or off: a peer sends media
 * only while its own link is on the relay, and stops with a STATE that ends the stream.
 * A peer silent for {@link STATE_TIMEOUT_MS} is taken as publishing nothing.
 */
import type { MediaState, PeerStats, RtpCounts } from '../../api.js';
import { PeerlaneError } from '../../errors.js';
import type { RelayMediaControl } from '../../link/media-state.js';
import { RELAYED_MEDIA } from '../../link/media-state.js';
import type { MediaEnd, MediaRoute, RelayMediaKind } from '../../link/relay/relay-route.js';
import type { MediaKind, SendState } from '../peer-media.js';
import {
  type MediaStateBits,
  readMediaFrame,
  writeDelay,
  writeKeyRequest,
  writeState,
} from './media-wire.js';
import { mayMediaGo } from './pacing.js';
import { RelayReceiver } from './relay-receiver.js';
import { RelaySender } from './relay-sender.js';
import { relayMediaSupport } from './support.js';

/** How often each side says what it publishes, while on. */
export const STATE_EVERY_MS = 1000;
/** A peer heard of for this long: it publishes nothing (its stream ends). */
export const STATE_TIMEOUT_MS = 4000;
/** At most one `INVALID_DATA` error per peer per this many ms (the rest are counted). */
const ERROR_GAP_MS = 1000;

/** What the room's media gives a {@link RelayMedia}. */
export interface LocalSource {
  /** What this peer publishes now. */
  sendState(): Record<MediaKind, SendState>;
  /** Calls `listener` whenever that changes; returns the unsubscribe. */
  watch(listener: () => void): () => void;
}

/** Options of a {@link RelayMedia}. */
export interface RelayMediaOptions {
  peerId: string;
  /** The relay route to the peer (sealed end to end with `e2ee`). */
  route: MediaRoute;
  local: LocalSource;
  onStream(stream: MediaStream): void;
  onStreamEnded(stream: MediaStream): void;
  onError(error: PeerlaneError): void;
  /** `media` may have changed. */
  onChange(): void;
}

/** One peer's relayed media (see the file's comment). */
export class RelayMedia implements RelayMediaControl {
  readonly #support = relayMediaSupport();
  #active = false;
  #sender: RelaySender | undefined;
  readonly #receiver: RelayReceiver | undefined;
  #remote: MediaStateBits | undefined;
  #remoteAt = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #unwatch: () => void;
  /** Where the route hands this peer's media frames. */
  readonly #end: MediaEnd = {
    frame: (bytes) => this.#onFrame(bytes),
    invalid: (reason) => this.#invalid(reason),
  };
  #lastError = Number.NEGATIVE_INFINITY;
  #quietErrors = 0;
  #media: MediaState = RELAYED_MEDIA.connecting;
  /** `live` as the link last heard of it. */
  #toldLive = false;
  #closed = false;

  constructor(private readonly options: RelayMediaOptions) {
    const { route } = options;
    if (!this.#support.missing) {
      this.#receiver = new RelayReceiver({
        onStream: options.onStream,
        onStreamEnded: options.onStreamEnded,
        requestKey: () => this.#send(writeKeyRequest(), 'control'),
        reportDelay: (queuedMs) => this.#send(writeDelay(queuedMs), 'control'),
      });
    }
    route.media = this.#end;
    this.#unwatch = options.local.watch(() => this.#localChanged());
  }

  /** What `peer.media` says while relayed media is on. */
  get media(): MediaState {
    return this.#media;
  }

  /**
   * A call runs over the relay: on, and this side sends media (it publishes some and the
   * peer decodes) or the peer publishes some. A sender alone is no call: one exists
   * whenever the peer decodes, published or not.
   */
  get live(): boolean {
    if (!this.#active) return false;
    const local = this.options.local.sendState();
    const sending = this.#sender !== undefined && (local.audio.published || local.video.published);
    const remote = this.#remote;
    return sending || !!(remote?.audio || remote?.video);
  }

  /** What was relayed each way so far, as RTP-like counters (a frame counts as a packet). */
  stats(): Pick<PeerStats, 'inbound' | 'outbound'> {
    const sent = this.#sender?.counts;
    const got = this.#receiver?.counts;
    const counts = (
      packets: number,
      bytes: number,
      video: { frames: number; width: number | undefined; height: number | undefined } | undefined,
      lost: number | undefined,
    ): RtpCounts => ({
      packets,
      bytes,
      packetsLost: lost,
      frames: video?.frames,
      frameWidth: video?.width,
      frameHeight: video?.height,
    });
    return {
      inbound: got
        ? {
            audio: counts(got.audioFrames, got.audioBytes, undefined, undefined),
            video: counts(
              got.videoFrames,
              got.videoBytes,
              { frames: got.videoDecoded, width: got.width, height: got.height },
              got.lost,
            ),
          }
        : {},
      outbound: sent
        ? {
            audio: counts(sent.audioFrames, sent.audioBytes, undefined, undefined),
            video: counts(
              sent.videoFrames,
              sent.videoBytes,
              { frames: sent.videoFrames, width: sent.width, height: sent.height },
              undefined,
            ),
          }
        : {},
    };
  }

  setActive(active: boolean): void {
    if (this.#closed || active === this.#active) return;
    this.#active = active;
    if (active) {
      this.#sendState();
      this.#updateSender();
      this.#timer ??= setInterval(() => this.#tick(), STATE_EVERY_MS);
    } else {
      this.#sender?.close();
      this.#sender = undefined;
      this.#sendState(); // "nothing": the peer's stream of us ends
    }
    this.#updateMedia();
  }

  close(): void {
    if (this.#closed) return;
    if (this.#active) this.setActive(false);
    this.#closed = true;
    clearInterval(this.#timer);
    this.#unwatch();
    // A link that replaced this one may have taken the route's media already.
    if (this.options.route.media === this.#end) this.options.route.media = undefined;
    this.#receiver?.close();
  }

  #tick(): void {
    if (this.#active) this.#sendState();
    if (this.#remote && performance.now() - this.#remoteAt > STATE_TIMEOUT_MS) {
      this.#remote = undefined;
      this.#receiver?.state(NOTHING);
      this.#updateSender();
      this.#updateMedia();
    }
    if (!this.#active && !this.#remote) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #localChanged(): void {
    if (!this.#active) return;
    this.#sendState();
    this.#updateSender();
    this.#updateMedia(); // `live` may have changed
  }

  #sendState(): void {
    const local = this.options.local.sendState();
    const on = this.#active && this.#canSend();
    this.#send(
      writeState({
        audio: on && local.audio.published,
        video: on && local.video.published,
        audioOn: on && local.audio.active,
        videoOn: on && local.video.active,
        decodes: this.#support.missing === undefined,
      }),
      'control',
    );
  }

  /** This side may send media at all: the server relays it and WebCodecs is here. */
  #canSend(): boolean {
    return this.options.route.mediaAllowed && this.#support.missing === undefined;
  }

  /** A sender while on, the peer decodes, and this side can encode. */
  #updateSender(): void {
    const wanted = this.#active && this.#canSend() && this.#remote?.decodes === true;
    if (wanted && !this.#sender) {
      this.#sender = new RelaySender(
        (frame, kind) => this.#send(frame, kind),
        this.options.local.sendState(),
      );
    } else if (!wanted && this.#sender) {
      this.#sender.close();
      this.#sender = undefined;
    } else this.#sender?.update(this.options.local.sendState());
  }

  #send(frame: Uint8Array, kind: RelayMediaKind): boolean {
    const { route } = this.options;
    // What the frame costs in credit: a tag byte per piece.
    const cost = frame.byteLength + Math.ceil(frame.byteLength / route.pieceBytes);
    const dropped = mayMediaGo(kind, cost, route.mediaRoom);
    if (dropped === 'credit') route.wantCredit();
    if (dropped) return false;
    return route.sendMedia(frame, kind);
  }

  #onFrame(bytes: Uint8Array): void {
    if (this.#closed) return;
    const read = readMediaFrame(bytes);
    if (!read.ok) {
      this.#invalid(read.reason);
      return;
    }
    const { frame } = read;
    if (frame.kind === 'state') {
      const first = this.#remote === undefined;
      this.#remote = frame;
      this.#remoteAt = performance.now();
      this.#timer ??= setInterval(() => this.#tick(), STATE_EVERY_MS);
      this.#receiver?.state(frame);
      if (first || this.#active) this.#updateSender();
      this.#updateMedia();
    } else if (frame.kind === 'key-request') this.#sender?.keyRequested();
    else if (frame.kind === 'delay') this.#sender?.delayReported(frame.queuedMs);
    else this.#receiver?.frame(frame);
  }

  #invalid(reason: string): void {
    const now = performance.now();
    if (now - this.#lastError < ERROR_GAP_MS) {
      this.#quietErrors += 1;
      return;
    }
    const more =
      this.#quietErrors > 0 ? ` (and ${this.#quietErrors} more since the last error)` : '';
    this.#lastError = now;
    this.#quietErrors = 0;
    const { peerId } = this.options;
    this.options.onError(
      new PeerlaneError(
        'INVALID_DATA',
        `peer ${peerId} sent a bad media frame, dropped: ${reason}${more}`,
        {
          peerId,
        },
      ),
    );
  }

  #updateMedia(): void {
    const { peerId, route } = this.options;
    let media: MediaState;
    if (!route.mediaAllowed) media = RELAYED_MEDIA.off;
    else if (this.#support.missing) media = RELAYED_MEDIA.noWebCodecs(this.#support.missing);
    else if (!this.#remote) media = RELAYED_MEDIA.connecting;
    else if (!this.#remote.decodes)
      media = RELAYED_MEDIA.noWebCodecs(`peer ${peerId} has no WebCodecs`);
    else media = RELAYED_MEDIA.available;
    const same =
      media.state === this.#media.state &&
      (media.state !== 'unavailable' ||
        (this.#media.state === 'unavailable' && media.message === this.#media.message));
    if (same && this.live === this.#toldLive) return;
    this.#media = media;
    this.#toldLive = this.live;
    this.options.onChange();
  }
}

const NOTHING: MediaStateBits = {
  audio: false,
  video: false,
  audioOn: false,
  videoOn: false,
  decodes: true,
};
