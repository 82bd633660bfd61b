/**
 * The relayed media's sender and receiver around WebCodecs (`sdk/media/relay/relay-sender.ts`,
 * `relay-receiver.ts`), on fake codecs, tracks and an AudioContext: Node has none of them.
 * What is checked is the SDK's side: which codecs are made, fed and closed, and what the
 * receiver counts, not what a codec makes of the bytes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type MediaFrame,
  readMediaFrame,
  writeAudio,
  writeVideo,
} from '../../sdk/media/relay/media-wire.js';
import { RelayReceiver } from '../../sdk/media/relay/relay-receiver.js';
import { RelaySender } from '../../sdk/media/relay/relay-sender.js';

type CodecState = 'unconfigured' | 'configured' | 'closed';

/** Every codec made, in order. */
let codecs: FakeCodec[] = [];

/** A WebCodecs encoder or decoder: configured, fed, closed; its callbacks at hand. */
class FakeCodec {
  state: CodecState = 'unconfigured';
  readonly fed: unknown[] = [];
  encodeQueueSize = 0;
  decodeQueueSize = 0;
  config: unknown;

  constructor(
    readonly kind: string,
    readonly init: { output: (out: never) => void; error: (e: unknown) => void },
  ) {
    codecs.push(this);
  }

  configure(config: unknown): void {
    if (this.state === 'closed') throw new DOMException('closed', 'InvalidStateError');
    this.state = 'configured';
    this.config = config;
  }

  encode(input: unknown): void {
    if (this.state !== 'configured') throw new DOMException('not configured', 'InvalidStateError');
    this.fed.push(input);
  }

  decode(chunk: unknown): void {
    if (this.state !== 'configured') throw new DOMException('not configured', 'InvalidStateError');
    this.fed.push(chunk);
  }

  close(): void {
    if (this.state === 'closed') throw new DOMException('closed', 'InvalidStateError');
    this.state = 'closed';
  }
}

const codecClass = (kind: string) =>
  class extends FakeCodec {
    constructor(init: FakeCodec['init']) {
      super(kind, init);
    }
  };

/** An encoded chunk: like the browser's, its timestamp must be a safe integer ([EnforceRange]). */
const chunkClass = () =>
  class {
    readonly type: string;
    readonly timestamp: number;
    readonly byteLength: number;
    constructor(init: { type: string; timestamp: number; data: Uint8Array }) {
      if (!Number.isSafeInteger(init.timestamp)) {
        throw new TypeError(`Value is outside the 'long long' value range.`);
      }
      this.type = init.type;
      this.timestamp = init.timestamp;
      this.byteLength = init.data.byteLength;
    }
  };

let trackIds = 0;

/** A track: only what the SDK touches. */
function fakeTrack(kind: 'audio' | 'video') {
  trackIds += 1;
  return { id: `t${trackIds}`, kind, stopped: false, stop() {} } as unknown as MediaStreamTrack;
}

class FakeMediaStream {
  readonly #tracks: MediaStreamTrack[] = [];
  getTracks() {
    return [...this.#tracks];
  }
  getTrackById(id: string) {
    return this.#tracks.find((t) => t.id === id) ?? null;
  }
  addTrack(track: MediaStreamTrack) {
    this.#tracks.push(track);
  }
  removeTrack(track: MediaStreamTrack) {
    this.#tracks.splice(this.#tracks.indexOf(track), 1);
  }
}

/** Frames pushed into a track's processor (the capture), by track. */
const processors = new Map<MediaStreamTrack, ReadableStreamDefaultController<unknown>>();

class FakeProcessor {
  readonly readable: ReadableStream<unknown>;
  constructor(init: { track: MediaStreamTrack }) {
    this.readable = new ReadableStream({
      start: (controller) => {
        processors.set(init.track, controller);
      },
    });
  }
}

/** Captures `frame` from `track`, and lets the capture's loop hand it on. */
async function captured(track: MediaStreamTrack, frame: unknown): Promise<void> {
  processors.get(track)?.enqueue(frame);
  await new Promise((resolve) => setTimeout(resolve, 0));
}

function videoFrame(timestamp: number) {
  return { timestamp, displayWidth: 640, displayHeight: 480, close() {} };
}

function audioData() {
  return { sampleRate: 48_000, numberOfChannels: 1, numberOfFrames: 480, close() {} };
}

class FakeGenerator {
  readonly kind = 'video';
  readonly id = `g${++trackIds}`;
  readonly writable = new WritableStream<{ close(): void }>({ write: (frame) => frame.close() });
  stop() {}
}

class FakeAudioContext {
  state = 'running';
  currentTime = 0;
  readonly track = fakeTrack('audio');
  createMediaStreamDestination() {
    return { stream: { getAudioTracks: () => [this.track] } };
  }
  addEventListener() {}
  resume() {
    return Promise.resolve();
  }
  close() {
    this.state = 'closed';
    return Promise.resolve();
  }
}

beforeEach(() => {
  codecs = [];
  processors.clear();
  vi.stubGlobal('VideoEncoder', codecClass('video-encoder'));
  vi.stubGlobal('AudioEncoder', codecClass('audio-encoder'));
  vi.stubGlobal('VideoDecoder', codecClass('video-decoder'));
  vi.stubGlobal('AudioDecoder', codecClass('audio-decoder'));
  vi.stubGlobal('EncodedVideoChunk', chunkClass());
  vi.stubGlobal('EncodedAudioChunk', chunkClass());
  vi.stubGlobal('MediaStream', FakeMediaStream);
  vi.stubGlobal('MediaStreamTrackProcessor', FakeProcessor);
  vi.stubGlobal('MediaStreamTrackGenerator', FakeGenerator);
  vi.stubGlobal('AudioContext', FakeAudioContext);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const open = (kind: string) => codecs.filter((c) => c.kind === kind && c.state !== 'closed');

/** A receiver whose callbacks are recorded. */
function receiver() {
  const told: string[] = [];
  const rx = new RelayReceiver({
    onStream: () => told.push('stream'),
    onStreamEnded: () => told.push('ended'),
    requestKey: () => told.push('key?'),
    reportDelay: () => {},
  });
  return { rx, told };
}

const publishes = (audio: boolean, video: boolean) => ({
  audio,
  video,
  audioOn: audio,
  videoOn: video,
  decodes: true,
});

/** A frame as the receiver gets it (read and checked, as `RelayMedia` hands it on). */
function read(bytes: Uint8Array): MediaFrame {
  const result = readMediaFrame(bytes);
  if (!result.ok) throw new Error(result.reason);
  return result.frame;
}

const now = () => performance.timeOrigin + performance.now();
const data = new Uint8Array(50).fill(1);

describe('the relay receiver', () => {
  it('counts no lost frames when the peer’s sender starts again from 0 (relay, direct, relay)', () => {
    const { rx } = receiver();
    rx.state(publishes(true, true));
    for (let seq = 0; seq < 100; seq += 1) {
      rx.frame(read(writeVideo(seq, now(), seq === 0, data)));
      rx.frame(read(writeAudio(seq, now(), 1, data)));
    }
    expect(rx.counts.lost).toBe(0);
    // The direct route carried the call a while; the peer's relayed media stopped (a STATE
    // saying nothing), and started again later with a new sender: numbers from 0.
    rx.state(publishes(false, false));
    rx.state(publishes(true, true));
    for (let seq = 0; seq < 10; seq += 1) {
      rx.frame(read(writeVideo(seq, now(), seq === 0, data)));
      rx.frame(read(writeAudio(seq, now(), 1, data)));
    }
    expect(rx.counts.lost).toBe(0);
    rx.close();
  });

  it('counts a real gap, and takes a frame numbered again or behind for no loss', () => {
    const { rx } = receiver();
    rx.state(publishes(false, true));
    rx.frame(read(writeVideo(0, now(), true, data)));
    rx.frame(read(writeVideo(1, now(), false, data)));
    rx.frame(read(writeVideo(4, now(), false, data))); // 2 and 3 never came
    expect(rx.counts.lost).toBe(2);
    rx.frame(read(writeVideo(4, now(), false, data))); // the same again (a hostile server)
    rx.frame(read(writeVideo(0, now(), true, data))); // the sender started over
    rx.frame(read(writeVideo(1, now(), false, data)));
    expect(rx.counts.lost).toBe(2);
    rx.close();
  });

  it('counts a gap across the wrap of the numbers (2^32 - 1, then 0)', () => {
    const { rx } = receiver();
    rx.state(publishes(true, false));
    rx.frame(read(writeAudio(2 ** 32 - 2, now(), 1, data)));
    rx.frame(read(writeAudio(1, now(), 1, data))); // 2^32 - 1 and 0 never came
    expect(rx.counts.lost).toBe(2);
    rx.close();
  });
});

describe('a capture time no codec takes', () => {
  // 9.1e12 ms is the year 2258: × 1000 it is no safe integer, the µs a chunk's timestamp takes.
  const far = 9.1e12;

  it('is refused on the wire (INVALID_DATA), as any bad field', () => {
    for (const frame of [writeAudio(1, far, 1, data), writeVideo(1, far, true, data)]) {
      const read = readMediaFrame(frame);
      expect(read.ok).toBe(false);
      expect(read.ok ? '' : read.reason).toMatch(/capture time/);
    }
    // Up to year 2255 is fine.
    expect(readMediaFrame(writeAudio(1, 9e12, 1, data)).ok).toBe(true);
  });

  it('leaves no audio decoder open behind a chunk the browser refused', () => {
    const { rx } = receiver();
    rx.state(publishes(true, false));
    for (let seq = 0; seq < 5; seq += 1) {
      rx.frame({ kind: 'audio', seq, captureMs: far, channels: 1, data });
    }
    rx.frame({ kind: 'audio', seq: 5, captureMs: now(), channels: 1, data });
    const decoders = codecs.filter((c) => c.kind === 'audio-decoder');
    expect(decoders.filter((c) => c.state !== 'closed')).toHaveLength(1);
    rx.close();
    expect(decoders.filter((c) => c.state !== 'closed')).toHaveLength(0);
  });
});

describe('codecs of a kind no longer published', () => {
  it('the sender closes its encoder when a kind is unpublished, and makes one again when it comes back', async () => {
    const mic = fakeTrack('audio');
    const camera = fakeTrack('video');
    const sending = (audio: boolean, video: boolean) => ({
      audio: { published: audio, track: audio ? mic : null, active: true },
      video: { published: video, track: video ? camera : null, active: true },
    });
    const sender = new RelaySender(() => true, sending(true, true));
    await captured(camera, videoFrame(0));
    await captured(mic, audioData());
    expect(open('video-encoder')).toHaveLength(1);
    expect(open('audio-encoder')).toHaveLength(1);
    sender.update(sending(true, false)); // the camera unpublished
    expect(open('video-encoder')).toHaveLength(0);
    expect(open('audio-encoder')).toHaveLength(1);
    sender.update(sending(false, false));
    expect(open('audio-encoder')).toHaveLength(0);
    sender.update(sending(true, true)); // published again: encoders again, from a key frame
    await captured(camera, videoFrame(1));
    await captured(mic, audioData());
    expect(open('video-encoder')).toHaveLength(1);
    expect(open('audio-encoder')).toHaveLength(1);
    expect(open('video-encoder')[0]?.fed).toHaveLength(1);
    sender.close();
    expect(open('video-encoder')).toHaveLength(0);
    expect(open('audio-encoder')).toHaveLength(0);
  });

  it('the receiver closes its decoder of a kind the peer stops publishing', () => {
    const { rx } = receiver();
    rx.state(publishes(true, true));
    rx.frame(read(writeVideo(0, now(), true, data)));
    rx.frame(read(writeAudio(0, now(), 1, data)));
    expect(open('video-decoder')).toHaveLength(1);
    expect(open('audio-decoder')).toHaveLength(1);
    rx.state(publishes(true, false)); // the peer's camera unpublished
    expect(open('video-decoder')).toHaveLength(0);
    expect(open('audio-decoder')).toHaveLength(1);
    rx.state(publishes(false, false));
    expect(open('audio-decoder')).toHaveLength(0);
    rx.state(publishes(true, true)); // and again
    rx.frame(read(writeVideo(1, now(), true, data)));
    rx.frame(read(writeAudio(1, now(), 1, data)));
    expect(open('video-decoder')).toHaveLength(1);
    expect(open('audio-decoder')).toHaveLength(1);
    rx.close();
    expect(open('video-decoder')).toHaveLength(0);
    expect(open('audio-decoder')).toHaveLength(0);
  });
});
