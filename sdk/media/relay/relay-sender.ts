/**
 * This peer's media to one remote peer over the relay: captures the published tracks
 * (`capture.ts`), encodes them with WebCodecs (VP8, Opus) and hands each frame to the
 * route at once — or drops it (`pacing.ts`). After a dropped video frame the decoder on
 * the other side could not use the frames that follow, so they are not sent either until
 * a key frame, which is asked of the encoder at once. The bitrate follows the drops; the
 * encoded size follows how long the encoder takes (`encoder-load.ts`), and at most one
 * frame waits for the encoder. What is encoded is held to the bitrate: a frame beyond it is
 * not encoded at all (`FrameBudget`), and when many are not, the picture gets smaller.
 */
import type { MediaKind, SendState } from '../peer-media.js';
import { type Capture, captureAudio, captureVideo } from './capture.js';
import { EncoderLoad } from './encoder-load.js';
import { writeAudio, writeVideo } from './media-wire.js';
import { BitrateControl, FrameBudget } from './pacing.js';

/** Where encoded frames go: true when sent, false when dropped. */
export type MediaSend = (frame: Uint8Array, kind: 'audio' | 'video') => boolean;

/** Counters of what was sent, for `getStats()`. */
export interface SentCounts {
  audioFrames: number;
  audioBytes: number;
  videoFrames: number;
  videoBytes: number;
  /** Video frames dropped for lack of credit or socket room, or an encoder backlog. */
  videoDropped: number;
  width: number | undefined;
  height: number | undefined;
}

/** The largest side a relayed video is encoded at (a screen share is scaled down to it). */
const MAX_SIDE = 1280;
/**
 * A key frame at least this often, so a receiver that lost one recovers on its own. Rare:
 * the relay loses nothing, receivers ask after a gap, and on a slow link each key frame
 * is a burst that delays the audio behind it on the same TCP stream.
 */
const KEY_INTERVAL_MS = 20_000;
/** The receiver reports a queue over this (ms): video pauses while it drains. */
const PAUSE_OVER_MS = 250;
/** The longest one report pauses video for, ms. */
const MAX_PAUSE_MS = 1000;
/** Frames waiting in the encoder beyond this: the machine cannot keep up, drop. */
const MAX_ENCODE_QUEUE = 1;

const captureTime = (): number => performance.timeOrigin + performance.now();

/** One peer's outgoing relayed media (see the file's comment). */
export class RelaySender {
  #videoTrack: MediaStreamTrack | null = null;
  #audioTrack: MediaStreamTrack | null = null;
  #video: Capture | undefined;
  #audio: Capture | undefined;
  #videoEncoder: VideoEncoder | undefined;
  #audioEncoder: AudioEncoder | undefined;
  #videoConfig: VideoEncoderConfig | undefined;
  #audioConfig: AudioEncoderConfig | undefined;
  #state: Record<MediaKind, SendState>;
  #needKey = true;
  /** A video frame was dropped: later delta frames are useless until a key frame. */
  #awaitKey = false;
  #lastKeyAt = 0;
  #lastEncodeAt = 0;
  /** No video until then (`performance.now()`): a queue on the way drains first. */
  #pausedUntil = 0;
  #videoSeq = 0;
  #audioSeq = 0;
  /** Encoder timestamp (µs) → capture time (ms since the epoch). */
  readonly #captured = new Map<number, number>();
  /** Encoder timestamp (µs) → when it was handed to the encoder (`performance.now()`). */
  readonly #encodeStarted = new Map<number, number>();
  /** The encoded size follows how long the encoder takes (`encoder-load.ts`); per track. */
  #load = new EncoderLoad();
  readonly #bitrate = new BitrateControl();
  /** Holds what the encoder makes to the bitrate: frames beyond it are not encoded. */
  readonly #budget = new FrameBudget();
  #closed = false;
  readonly counts: SentCounts = {
    audioFrames: 0,
    audioBytes: 0,
    videoFrames: 0,
    videoBytes: 0,
    videoDropped: 0,
    width: undefined,
    height: undefined,
  };

  constructor(
    private readonly send: MediaSend,
    local: Record<MediaKind, SendState>,
  ) {
    this.#state = local;
    this.update(local);
  }

  /** What this peer publishes changed: capture the new tracks, stop the old ones. */
  update(local: Record<MediaKind, SendState>): void {
    if (this.#closed) return;
    this.#state = local;
    const video = local.video.published ? local.video.track : null;
    if (video !== this.#videoTrack) {
      this.#video?.stop();
      // Unpublished: its encoder goes too (a new one is made when video comes back).
      if (!video) {
        this.#videoEncoder = closeCodec(this.#videoEncoder);
        this.#videoConfig = undefined;
      }
      this.#videoTrack = video;
      this.#video = video ? captureVideo(video, (frame) => this.#onVideo(frame)) : undefined;
      this.#needKey = true;
      // Another source (a screen share, another camera) starts at its own size.
      this.#load = new EncoderLoad();
      this.#budget.reset();
    }
    const audio = local.audio.published ? local.audio.track : null;
    if (audio !== this.#audioTrack) {
      this.#audio?.stop();
      if (!audio) {
        this.#audioEncoder = closeCodec(this.#audioEncoder);
        this.#audioConfig = undefined;
      }
      this.#audioTrack = audio;
      this.#audio = audio ? captureAudio(audio, (data) => this.#onAudio(data)) : undefined;
    }
  }

  /**
   * The receiver's frames queue `queuedMs` on the way: the link carries less than is sent.
   * The bitrate backs off as for a drop, and a long queue pauses video until it drained
   * (audio goes on).
   */
  delayReported(queuedMs: number): void {
    this.#bitrate.dropped();
    if (queuedMs > PAUSE_OVER_MS) {
      this.#pausedUntil = performance.now() + Math.min(queuedMs, MAX_PAUSE_MS);
    }
  }

  /** The receiver lost frames or could not decode: the next frame is a key frame. */
  keyRequested(): void {
    this.#needKey = true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#video?.stop();
    this.#audio?.stop();
    this.#videoEncoder = closeCodec(this.#videoEncoder);
    this.#audioEncoder = closeCodec(this.#audioEncoder);
  }

  #onVideo(frame: VideoFrame): void {
    const now = performance.now();
    const encoder =
      this.#closed || !this.#state.video.active ? undefined : this.#videoEncoderFor(frame);
    const tooSoon = now - this.#lastEncodeAt < this.#bitrate.frameGapMs || now < this.#pausedUntil;
    if (!encoder || tooSoon || encoder.encodeQueueSize > MAX_ENCODE_QUEUE) {
      if (encoder && !tooSoon) this.counts.videoDropped += 1;
      frame.close();
      return;
    }
    const fits = this.#budget.allows(this.#bitrate.kbps);
    if (this.#budget.overrun) this.#load.oversized();
    if (!fits) {
      frame.close();
      return;
    }
    this.#lastEncodeAt = now;
    const key = this.#needKey || now - this.#lastKeyAt > KEY_INTERVAL_MS;
    if (key) {
      this.#needKey = false;
      this.#lastKeyAt = now;
    }
    this.#captured.set(frame.timestamp, captureTime());
    if (this.#captured.size > 64) this.#captured.delete(this.#captured.keys().next().value ?? 0);
    this.#encodeStarted.set(frame.timestamp, now);
    if (this.#encodeStarted.size > 64) {
      this.#encodeStarted.delete(this.#encodeStarted.keys().next().value ?? 0);
    }
    encoder.encode(frame, { keyFrame: key });
    frame.close();
  }

  #videoEncoderFor(frame: VideoFrame): VideoEncoder | undefined {
    const scale =
      Math.min(1, MAX_SIDE / Math.max(frame.displayWidth, frame.displayHeight)) * this.#load.scale;
    // VP8 wants even sizes.
    const width = Math.max(2, Math.round((frame.displayWidth * scale) / 2) * 2);
    const height = Math.max(2, Math.round((frame.displayHeight * scale) / 2) * 2);
    const bitrate = this.#bitrate.kbps * 1000;
    const config = this.#videoConfig;
    const resized = !config || config.width !== width || config.height !== height;
    if (!resized && config.bitrate === bitrate && this.#videoEncoder?.state === 'configured') {
      return this.#videoEncoder;
    }
    const next: VideoEncoderConfig = {
      codec: 'vp8',
      width,
      height,
      bitrate,
      framerate: 30,
      latencyMode: 'realtime',
    };
    if (!this.#videoEncoder || this.#videoEncoder.state === 'closed') {
      this.#videoEncoder = new VideoEncoder({
        output: (chunk) => this.#onVideoChunk(chunk),
        error: () => {
          // Broken (e.g. an unsupported size): a new one is made for the next frame.
          this.#videoEncoder = undefined;
          this.#videoConfig = undefined;
        },
      });
    }
    this.#videoEncoder.configure(next);
    this.#videoConfig = next;
    this.counts.width = width;
    this.counts.height = height;
    if (resized) {
      this.#needKey = true;
      this.#load.started();
    }
    return this.#videoEncoder;
  }

  #onVideoChunk(chunk: EncodedVideoChunk): void {
    if (this.#closed) return;
    const key = chunk.type === 'key';
    const captured = this.#captured.get(chunk.timestamp) ?? captureTime();
    this.#captured.delete(chunk.timestamp);
    const started = this.#encodeStarted.get(chunk.timestamp);
    this.#encodeStarted.delete(chunk.timestamp);
    if (started !== undefined) this.#load.encoded(performance.now() - started);
    if (this.#awaitKey && !key) return;
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    const frame = writeVideo(this.#videoSeq, captured, key, data);
    this.#videoSeq = (this.#videoSeq + 1) >>> 0;
    if (!this.send(frame, 'video')) {
      this.counts.videoDropped += 1;
      this.#bitrate.dropped();
      this.#awaitKey = true;
      this.#needKey = true;
      return;
    }
    this.#awaitKey = false;
    this.#budget.spent(frame.byteLength, key);
    this.#bitrate.sent();
    this.counts.videoFrames += 1;
    this.counts.videoBytes += frame.byteLength;
  }

  #onAudio(data: AudioData): void {
    if (this.#closed || !this.#state.audio.active) {
      data.close();
      return;
    }
    const config = this.#audioConfig;
    if (
      !config ||
      config.sampleRate !== data.sampleRate ||
      config.numberOfChannels !== data.numberOfChannels
    ) {
      const next: AudioEncoderConfig = {
        codec: 'opus',
        sampleRate: data.sampleRate,
        numberOfChannels: Math.min(2, data.numberOfChannels),
        bitrate: 32_000,
      };
      if (!this.#audioEncoder || this.#audioEncoder.state === 'closed') {
        this.#audioEncoder = new AudioEncoder({
          output: (chunk) => this.#onAudioChunk(chunk),
          error: () => {
            this.#audioEncoder = undefined;
            this.#audioConfig = undefined;
          },
        });
      }
      this.#audioEncoder.configure(next);
      this.#audioConfig = next;
    }
    this.#audioEncoder?.encode(data);
    data.close();
  }

  #onAudioChunk(chunk: EncodedAudioChunk): void {
    if (this.#closed) return;
    const data = new Uint8Array(chunk.byteLength);
    chunk.copyTo(data);
    // Opus packs its input into 20 ms packets: the packet began about its duration ago.
    const captured = captureTime() - (chunk.duration ?? 20_000) / 1000;
    const channels = this.#audioConfig?.numberOfChannels ?? 1;
    const frame = writeAudio(this.#audioSeq, captured, channels, data);
    this.#audioSeq = (this.#audioSeq + 1) >>> 0;
    // A dropped audio packet is a short click; nothing waits for it.
    if (!this.send(frame, 'audio')) return;
    this.counts.audioFrames += 1;
    this.counts.audioBytes += frame.byteLength;
  }
}

/** Closes `codec` if it is open; returns undefined, for the field that held it. */
function closeCodec(codec: VideoEncoder | AudioEncoder | undefined): undefined {
  if (codec && codec.state !== 'closed') codec.close();
  return undefined;
}
