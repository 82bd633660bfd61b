/**
 * One remote peer's relayed media, played: VP8 and Opus frames from the relay decoded with
 * WebCodecs into the tracks of one MediaStream (`output.ts`). The stream has a track per
 * kind the peer publishes (its STATE frames say which), as a WebRTC stream would; muting
 * keeps the track, it just gets no frames. A gap in the video frames' numbers (the sender
 * dropped some) or a decoder error means the decoder waits for a key frame, asked for at
 * once (at most every {@link KEY_REQUEST_GAP_MS}).
 */
import type { MediaFrame, MediaStateBits } from './media-wire.js';
import { type AudioOutput, audioOutput, type TrackOutput, videoOutput } from './output.js';
import { QueueDelay } from './queue-delay.js';

/** At most one key-frame request per this many ms. */
export const KEY_REQUEST_GAP_MS = 300;

/** Counters of what arrived, for `getStats()`. */
export interface ReceivedCounts {
  audioFrames: number;
  audioBytes: number;
  videoFrames: number;
  videoBytes: number;
  /** Video frames decoded (and handed to the track). */
  videoDecoded: number;
  /** Frames that never arrived (number gaps), audio and video. */
  lost: number;
  width: number | undefined;
  height: number | undefined;
  /** Capture → decoded, in ms, of the last video frame (the two clocks' offset included). */
  lastVideoDelayMs: number | undefined;
}

/** What a receiver tells its owner. */
export interface RelayReceiverOptions {
  /** The stream started, or its tracks changed (the same stream object). */
  onStream(stream: MediaStream): void;
  /** The stream ended: the peer publishes nothing now. */
  onStreamEnded(stream: MediaStream): void;
  /** Ask the sender for a key frame. */
  requestKey(): void;
  /** Tell the sender its frames queue this many ms on the way (`queue-delay.ts`). */
  reportDelay(queuedMs: number): void;
}

/** One peer's relayed media, decoded into a MediaStream (see the file's comment). */
export class RelayReceiver {
  #stream: MediaStream | undefined;
  #video: TrackOutput<VideoFrame> | undefined;
  #audio: AudioOutput | undefined;
  #videoDecoder: VideoDecoder | undefined;
  #audioDecoder: AudioDecoder | undefined;
  #audioChannels = 0;
  #awaitKey = true;
  #nextVideoSeq: number | undefined;
  #nextAudioSeq: number | undefined;
  #lastKeyRequest = Number.NEGATIVE_INFINITY;
  /** Decoder timestamp (µs) → capture time (ms since the epoch). */
  readonly #captured = new Map<number, number>();
  readonly #queue = new QueueDelay();
  #closed = false;
  readonly counts: ReceivedCounts = {
    audioFrames: 0,
    audioBytes: 0,
    videoFrames: 0,
    videoBytes: 0,
    videoDecoded: 0,
    lost: 0,
    width: undefined,
    height: undefined,
    lastVideoDelayMs: undefined,
  };

  constructor(private readonly options: RelayReceiverOptions) {}

  /** The stream, while the peer publishes anything. */
  get stream(): MediaStream | undefined {
    return this.#stream;
  }

  /** The audio jitter buffer's gaps: how many, and the longest in ms. */
  get audioGaps(): { gaps: number; longestGapMs: number } {
    return {
      gaps: this.#audio?.jitter.gaps ?? 0,
      longestGapMs: this.#audio?.jitter.longestGapMs ?? 0,
    };
  }

  /** What the peer publishes now: a track per kind it sends. */
  state(bits: MediaStateBits): void {
    if (this.#closed) return;
    let changed = false;
    if (bits.video && !this.#video) {
      this.#video = videoOutput();
      this.#shownSize = undefined;
      this.#awaitKey = true;
      changed = true;
    } else if (!bits.video && this.#video) {
      this.#video.close();
      this.#video = undefined;
      // Its decoder goes too: a new one starts from the next key frame.
      if (this.#videoDecoder && this.#videoDecoder.state !== 'closed') this.#videoDecoder.close();
      this.#videoDecoder = undefined;
      changed = true;
    }
    if (bits.audio && !this.#audio) {
      this.#audio = audioOutput();
      changed = true;
    } else if (!bits.audio && this.#audio) {
      this.#audio.close();
      this.#audio = undefined;
      if (this.#audioDecoder && this.#audioDecoder.state !== 'closed') this.#audioDecoder.close();
      this.#audioDecoder = undefined;
      changed = true;
    }
    if (!bits.audioOn) this.#audio?.jitter.reset();
    if (changed) this.#rebuild();
  }

  /** One audio or video frame from the peer. */
  frame(frame: MediaFrame): void {
    if (this.#closed) return;
    if (frame.kind === 'audio' || frame.kind === 'video') {
      const queued = this.#queue.arrived(
        frame.kind,
        frame.captureMs,
        performance.timeOrigin + performance.now(),
      );
      if (queued !== undefined) this.options.reportDelay(queued);
      this.#audio?.jitter.keepAtLeast(this.#queue.recentMaxMs);
    }
    if (frame.kind === 'video') this.#onVideo(frame);
    else if (frame.kind === 'audio') this.#onAudio(frame);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const codec of [this.#videoDecoder, this.#audioDecoder]) {
      if (codec && codec.state !== 'closed') codec.close();
    }
    this.#video?.close();
    this.#audio?.close();
    this.#video = undefined;
    this.#audio = undefined;
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream) this.options.onStreamEnded(stream);
  }

  #rebuild(): void {
    const tracks = [this.#audio?.track, this.#video?.track].filter((t) => t !== undefined);
    const old = this.#stream;
    if (tracks.length === 0) {
      this.#stream = undefined;
      if (old) this.options.onStreamEnded(old);
      return;
    }
    const stream = old ?? new MediaStream();
    for (const track of stream.getTracks()) if (!tracks.includes(track)) stream.removeTrack(track);
    for (const track of tracks) if (!stream.getTrackById(track.id)) stream.addTrack(track);
    this.#stream = stream;
    this.options.onStream(stream);
  }

  #onVideo(frame: Extract<MediaFrame, { kind: 'video' }>): void {
    this.counts.videoFrames += 1;
    this.counts.videoBytes += frame.data.byteLength;
    if (this.#nextVideoSeq !== undefined && frame.seq !== this.#nextVideoSeq) {
      this.counts.lost += framesLost(frame.seq, this.#nextVideoSeq);
      this.#awaitKey = true;
    }
    this.#nextVideoSeq = (frame.seq + 1) >>> 0;
    if (!this.#video) return;
    if (this.#awaitKey && !frame.key) {
      this.#askKey();
      return;
    }
    const decoder = this.#videoDecoderNow();
    const timestamp = Math.round(frame.captureMs * 1000);
    this.#captured.set(timestamp, frame.captureMs);
    if (this.#captured.size > 64) this.#captured.delete(this.#captured.keys().next().value ?? 0);
    try {
      decoder.decode(
        new EncodedVideoChunk({ type: frame.key ? 'key' : 'delta', timestamp, data: frame.data }),
      );
      this.#awaitKey = false;
    } catch {
      this.#resetVideo();
    }
  }

  /** The size the video track shows (see {@link #atShownSize}). */
  #shownSize: { width: number; height: number } | undefined;

  #videoDecoderNow(): VideoDecoder {
    if (this.#videoDecoder && this.#videoDecoder.state !== 'closed') return this.#videoDecoder;
    const decoder = new VideoDecoder({
      output: (image) => {
        const captured = this.#captured.get(image.timestamp);
        this.#captured.delete(image.timestamp);
        if (captured !== undefined) {
          this.counts.lastVideoDelayMs = performance.timeOrigin + performance.now() - captured;
        }
        this.counts.videoDecoded += 1;
        this.counts.width = image.displayWidth;
        this.counts.height = image.displayHeight;
        if (this.#video) this.#video.write(this.#atShownSize(image));
        else image.close();
      },
      error: () => this.#resetVideo(),
    });
    decoder.configure({ codec: 'vp8', optimizeForLatency: true });
    this.#videoDecoder = decoder;
    return decoder;
  }

  /**
   * `image` shown at the size the track shows when it has the same shape: the sender steps
   * the encoded size down and up with its encoder's load (`encoder-load.ts`, starting at
   * full size), and a `<video>` whose track changes size in Chromium renders about one
   * frame a second from then on (measured: 30 decoded, 1 rendered in 1.5 s). Scaling happens
   * where the frame is drawn (a display size, no copy). A picture of another shape (a screen
   * share) is shown at its own size.
   */
  #atShownSize(image: VideoFrame): VideoFrame {
    const shown = this.#shownSize;
    const { displayWidth: width, displayHeight: height } = image;
    const sameShape = shown && Math.abs(width * shown.height - height * shown.width) <= shown.width;
    if (!shown || !sameShape) {
      this.#shownSize = { width, height };
      return image;
    }
    if (width === shown.width) return image;
    const scaled = new VideoFrame(image, {
      displayWidth: shown.width,
      displayHeight: shown.height,
    });
    image.close();
    return scaled;
  }

  /** The decoder failed (bad data, a lost reference): start again from a key frame. */
  #resetVideo(): void {
    if (this.#videoDecoder && this.#videoDecoder.state !== 'closed') this.#videoDecoder.close();
    this.#videoDecoder = undefined;
    this.#awaitKey = true;
    this.#askKey();
  }

  #askKey(): void {
    const now = performance.now();
    if (now - this.#lastKeyRequest < KEY_REQUEST_GAP_MS) return;
    this.#lastKeyRequest = now;
    this.options.requestKey();
  }

  #onAudio(frame: Extract<MediaFrame, { kind: 'audio' }>): void {
    this.counts.audioFrames += 1;
    this.counts.audioBytes += frame.data.byteLength;
    if (this.#nextAudioSeq !== undefined && frame.seq !== this.#nextAudioSeq) {
      this.counts.lost += framesLost(frame.seq, this.#nextAudioSeq);
    }
    this.#nextAudioSeq = (frame.seq + 1) >>> 0;
    if (!this.#audio) return;
    if (
      !this.#audioDecoder ||
      this.#audioDecoder.state === 'closed' ||
      this.#audioChannels !== frame.channels
    ) {
      if (this.#audioDecoder && this.#audioDecoder.state !== 'closed') this.#audioDecoder.close();
      const decoder = new AudioDecoder({
        output: (data) => {
          if (this.#audio) this.#audio.write(data);
          else data.close();
        },
        error: () => {
          this.#audioDecoder = undefined;
        },
      });
      decoder.configure({ codec: 'opus', sampleRate: 48_000, numberOfChannels: frame.channels });
      this.#audioDecoder = decoder;
      this.#audioChannels = frame.channels;
    }
    try {
      this.#audioDecoder.decode(
        new EncodedAudioChunk({
          type: 'key',
          timestamp: Math.round(frame.captureMs * 1000),
          data: frame.data,
        }),
      );
    } catch {
      // Refused (a chunk it cannot take): a new decoder for the next frame, this one closed.
      if (this.#audioDecoder.state !== 'closed') this.#audioDecoder.close();
      this.#audioDecoder = undefined;
    }
  }
}

/**
 * Frames skipped when `seq` came where `expected` was due (numbers wrap at 2^32): the
 * distance forward, or 0 for a number behind it — the same frame again, or the peer's
 * sender starting over from 0 (its relayed media stopped and started again), which lost
 * nothing. Counted, either read as some 4 billion frames lost.
 */
function framesLost(seq: number, expected: number): number {
  const ahead = (seq - expected) >>> 0;
  return ahead < 2 ** 31 ? ahead : 0;
}
