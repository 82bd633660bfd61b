/**
 * Decoded frames into tracks of a normal MediaStream. Video: `MediaStreamTrackGenerator`
 * where the browser has it (Chromium), else a canvas `captureStream()` (Firefox). Audio:
 * an AudioContext's `MediaStreamAudioDestinationNode`, played through the
 * {@link JitterBuffer} (see {@link audioOutput}).
 */
import { JitterBuffer } from './jitter-buffer.js';
import { TimeStretch } from './time-stretch.js';

/** A track fed frame by frame; `write` takes ownership of the frame and closes it. */
export interface TrackOutput<T> {
  readonly track: MediaStreamTrack;
  write(frame: T): void;
  close(): void;
}

interface Generator extends MediaStreamTrack {
  readonly writable: WritableStream<VideoFrame>;
}
type GeneratorClass = new (init: { kind: 'video' }) => Generator;

function generatorClass(): GeneratorClass | undefined {
  const found = (globalThis as Record<string, unknown>).MediaStreamTrackGenerator;
  return typeof found === 'function' ? (found as GeneratorClass) : undefined;
}

/** A generator track: frames are written as they come. */
function generatorOutput(Generator: GeneratorClass): TrackOutput<VideoFrame> {
  const track = new Generator({ kind: 'video' });
  const writer = track.writable.getWriter();
  let closed = false;
  return {
    track,
    write(frame) {
      if (closed) {
        frame.close();
        return;
      }
      // The generator closes the frame once written; a failed write means the track ended.
      writer.write(frame).catch(() => frame.close());
    },
    close() {
      closed = true;
      writer.close().catch(() => {});
      track.stop();
    },
  };
}

/** The remote video as a track. */
export function videoOutput(): TrackOutput<VideoFrame> {
  const Generator = generatorClass();
  if (Generator) return generatorOutput(Generator);
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 480;
  const context = canvas.getContext('2d');
  const track = canvas.captureStream().getVideoTracks()[0];
  if (!context || !track) throw new Error('no canvas 2D context to play relayed video');
  return {
    track,
    write(frame) {
      if (canvas.width !== frame.displayWidth) canvas.width = frame.displayWidth;
      if (canvas.height !== frame.displayHeight) canvas.height = frame.displayHeight;
      context.drawImage(frame, 0, 0);
      frame.close();
    },
    close() {
      track.stop();
    },
  };
}

/** The remote audio as a track, with the jitter buffer's numbers. */
export interface AudioOutput extends TrackOutput<AudioData> {
  readonly jitter: JitterBuffer;
}

/** User gestures that let a suspended AudioContext start (browsers' autoplay policies). */
const GESTURES = ['pointerdown', 'keydown'] as const;

/**
 * The remote audio as a track: each chunk is scheduled on an AudioContext's clock at the
 * slot the {@link JitterBuffer} gives it, into a `MediaStreamAudioDestinationNode`,
 * stretched to the slot's rate by whole periods ({@link TimeStretch}: the pitch stays). The
 * audio thread plays what is scheduled whatever the page's main thread is doing, and the
 * buffer's delay follows the link. (A `MediaStreamTrackGenerator` plays each chunk the
 * moment it is written: every late chunk was a gap.) Where the browser's autoplay policy
 * holds the context back, it starts at the page's next click or key press — as any sound
 * the page plays would.
 */
export function audioOutput(): AudioOutput {
  const jitter = new JitterBuffer();
  const context = new AudioContext({ latencyHint: 'interactive' });
  const stretcher = new TimeStretch();
  const destination = context.createMediaStreamDestination();
  const track = destination.stream.getAudioTracks()[0];
  if (!track) throw new Error('no audio track from an AudioContext destination');
  // Held back by an autoplay policy: the next gesture on the page starts it.
  const target = globalThis.document;
  const resume = () => {
    if (context.state === 'suspended') context.resume().catch(() => {});
  };
  const forget = () => {
    for (const type of GESTURES) target?.removeEventListener(type, resume, true);
  };
  context.addEventListener('statechange', () => {
    if (context.state !== 'suspended') forget();
  });
  resume();
  if (context.state === 'suspended') {
    for (const type of GESTURES) target?.addEventListener(type, resume, true);
  }
  return {
    track,
    jitter,
    write(data) {
      if (context.state !== 'running') {
        data.close(); // nothing plays yet: queueing it would only add delay
        return;
      }
      const frames = data.numberOfFrames;
      const planes: Float32Array<ArrayBuffer>[] = [];
      for (let c = 0; c < data.numberOfChannels; c += 1) {
        const plane = new Float32Array(frames);
        data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
        planes.push(plane);
      }
      const { sampleRate } = data;
      data.close();
      let sound = planes;
      const slot = jitter.schedule(
        context.currentTime * 1000,
        (frames / sampleRate) * 1000,
        (rate) => {
          sound = stretcher.apply(planes, sampleRate, rate);
          return ((sound[0]?.length ?? frames) / sampleRate) * 1000;
        },
      );
      if (!slot) return;
      const length = sound[0]?.length ?? 0;
      if (length === 0) return;
      const buffer = context.createBuffer(sound.length, length, sampleRate);
      for (const [c, plane] of sound.entries()) buffer.copyToChannel(plane, c);
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.connect(destination);
      source.start(slot.at / 1000);
    },
    close() {
      forget();
      track.stop();
      context.close().catch(() => {});
    },
  };
}
