/**
 * Watches a remote peer's tile as a user would see and hear it: the stream plays in a
 * `<video>`; every rendered frame is counted (`requestVideoFrameCallback`) and, with
 * `stamps`, read back (drawn on a canvas) for the capture time the sender drew into it
 * (`frame-stamp.ts`); the audio track's samples are counted with a
 * `MediaStreamTrackProcessor` and, with `audioGaps`, played into an AudioContext whose
 * worklet measures — on the audio rendering thread, in the audio clock — the longest run
 * of silence (128-sample blocks with RMS ≤ 0.01) in what is played: the sender's steady
 * tone makes every such run a gap. A new stream (a `stream` event) is attached in place of
 * the old one and the figures go on. Runs in the browser (Chromium).
 */
import { readStamp, STAMP_BAND, sinceStamp } from './frame-stamp.js';

/** What the tile showed and played since the window began (`reset()`). */
export interface TileFigures {
  /** Length of the window so far, ms. */
  windowMs: number;
  /** Frames rendered. */
  frames: number;
  /** The longest time without a newly rendered frame (also the open one up to now), ms. */
  longestFrameGapMs: number;
  /** With stamps: capture → rendered, ms, per frame whose stamp was readable, in order. */
  latencies: number[];
  /** With stamps: rendered frames whose stamp could not be read. */
  unreadable: number;
  /** Audio samples delivered by the audio track (-1: no processor here, or no audio track). */
  audioSamples: number;
  /** With `audioGaps`: the longest silence played (also the open one), ms; -1 without. */
  longestAudioGapMs: number;
  width: number;
}

type Processor = new (init: { track: MediaStreamTrack }) => { readable: ReadableStream<AudioData> };

/** One remote tile; see the file's comment. */
export class TileWatch {
  readonly #stamps: boolean;
  readonly #gaps: GapMeter | undefined;
  readonly #canvas = document.createElement('canvas');
  #stop: () => void = () => {};
  #start = Date.now();
  #frames = 0;
  #lastFrameAt: number | undefined;
  #longestFrameGap = 0;
  #latencies: number[] = [];
  #unreadable = 0;
  #audioSamples = -1;
  #width = 0;

  constructor(options: { stamps: boolean; audioGaps?: boolean }) {
    this.#stamps = options.stamps;
    this.#gaps = options.audioGaps ? new GapMeter() : undefined;
    // Only the stamp's band is read back (12 × 4 cells, 16 × 12 px each): reading the whole
    // frame took a sixth of a page's main thread in the benchmark, time relayed media lacked.
    this.#canvas.width = 192;
    this.#canvas.height = 48;
  }

  /** Plays `stream` in the tile instead of what it played before. */
  attach(stream: MediaStream): void {
    this.#stop();
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    video.srcObject = stream;
    document.body.append(video);

    let stopped = false;
    const context = this.#canvas.getContext('2d', { willReadFrequently: true });
    const onFrame = () => {
      if (stopped) return;
      const at = Date.now();
      this.#frames++;
      this.#width = video.videoWidth;
      if (this.#lastFrameAt !== undefined) {
        this.#longestFrameGap = Math.max(this.#longestFrameGap, at - this.#lastFrameAt);
      }
      this.#lastFrameAt = at;
      if (this.#stamps && context) {
        const { videoWidth: width, videoHeight: height } = video;
        const { width: w, height: h } = this.#canvas;
        context.drawImage(video, 0, 0, width, height * STAMP_BAND, 0, 0, w, h);
        const stamp = readStamp(context.getImageData(0, 0, w, h), true);
        if (stamp === undefined) this.#unreadable++;
        else this.#latencies.push(sinceStamp(stamp, at));
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    video.play().catch(() => {});
    const Processor = (globalThis as Record<string, unknown>).MediaStreamTrackProcessor as
      | Processor
      | undefined;
    const audio = stream.getAudioTracks()[0];
    let reader: ReadableStreamDefaultReader<AudioData> | undefined;
    if (audio) this.#gaps?.listen(audio);
    if (Processor && audio) {
      if (this.#audioSamples < 0) this.#audioSamples = 0;
      reader = new Processor({ track: audio }).readable.getReader();
      const samples = reader;
      const read = async (): Promise<void> => {
        // Bounded: ~100 chunks a second for hours.
        for (let i = 0; i < 1e7 && !stopped; i++) {
          const { done, value } = await samples.read();
          if (done) return;
          this.#onAudio(value);
        }
      };
      read().catch(() => {});
    }
    this.#stop = () => {
      stopped = true;
      reader?.cancel().catch(() => {});
      video.remove();
    };
  }

  #onAudio(data: AudioData): void {
    this.#audioSamples += data.numberOfFrames;
    data.close();
  }

  /** Starts a new window: figures count from now (gaps too: from now, not from before). */
  reset(): void {
    const at = Date.now();
    this.#start = at;
    this.#frames = 0;
    this.#longestFrameGap = 0;
    this.#lastFrameAt = this.#lastFrameAt === undefined ? undefined : at;
    this.#latencies = [];
    this.#unreadable = 0;
    if (this.#audioSamples > 0) this.#audioSamples = 0;
    this.#gaps?.reset();
  }

  figures(): TileFigures {
    const at = Date.now();
    const open = (last: number | undefined) => (last === undefined ? at - this.#start : at - last);
    return {
      windowMs: at - this.#start,
      frames: this.#frames,
      longestFrameGapMs: Math.max(this.#longestFrameGap, open(this.#lastFrameAt)),
      latencies: [...this.#latencies],
      unreadable: this.#unreadable,
      audioSamples: this.#audioSamples,
      longestAudioGapMs: this.#gaps?.longestMs ?? -1,
      width: this.#width,
    };
  }

  close(): void {
    this.#stop();
    this.#gaps?.close();
  }
}

/**
 * The worklet: the longest run of silent 128-sample blocks since the last reset, in ms,
 * posted with the number of resets it has seen (a figure posted before a reset arrives
 * after it).
 */
const GAP_WORKLET = `registerProcessor('peerlane-gap-meter', class extends AudioWorkletProcessor {
  constructor() {
    super();
    this.silent = 0;
    this.longest = 0;
    this.blocks = 0;
    this.resets = 0;
    this.port.onmessage = () => { this.silent = 0; this.longest = 0; this.resets++; };
  }
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    const n = channel ? channel.length : 128;
    let energy = 0;
    if (channel) for (let i = 0; i < n; i++) energy += channel[i] * channel[i];
    if (channel && Math.sqrt(energy / n) > 0.01) this.silent = 0;
    else this.silent += n;
    if (this.silent > this.longest) this.longest = this.silent;
    if (++this.blocks % 16 === 0) {
      this.port.postMessage([this.resets, (this.longest / sampleRate) * 1000]);
    }
    return true;
  }
});`;

/**
 * Plays an audio track into a worklet that measures silences (see {@link GAP_WORKLET}).
 * One worklet node for the tile's life; a new track only replaces the source in front of
 * it, so the silence between two streams counts as the gap it is. (A node per track does
 * not work: a disconnected worklet node keeps running with no input and reported an
 * ever-longer silence after the first switch of streams.)
 */
class GapMeter {
  readonly #context = new AudioContext({ sampleRate: 48_000 });
  readonly #node: Promise<AudioWorkletNode>;
  #source: MediaStreamAudioSourceNode | undefined;
  #resets = 0;
  longestMs = 0;

  constructor() {
    const url = URL.createObjectURL(new Blob([GAP_WORKLET], { type: 'text/javascript' }));
    this.#node = this.#context.audioWorklet.addModule(url).then(async () => {
      const node = new AudioWorkletNode(this.#context, 'peerlane-gap-meter');
      node.port.onmessage = (event: MessageEvent<[number, number]>) => {
        const [resets, longestMs] = event.data;
        if (resets === this.#resets) this.longestMs = Math.max(this.longestMs, longestMs);
      };
      // Pulled, not heard: a silent gain into the destination keeps the worklet running.
      node.connect(new GainNode(this.#context, { gain: 0 })).connect(this.#context.destination);
      await this.#context.resume();
      return node;
    });
    this.#node.catch(() => {});
  }

  listen(track: MediaStreamTrack): void {
    this.#node
      .then((node) => {
        this.#source?.disconnect();
        this.#source = this.#context.createMediaStreamSource(new MediaStream([track]));
        this.#source.connect(node);
      })
      .catch(() => {});
  }

  reset(): void {
    this.longestMs = 0;
    this.#resets += 1;
    this.#node.then((node) => node.port.postMessage('reset')).catch(() => {});
  }

  close(): void {
    this.#context.close().catch(() => {});
  }
}
