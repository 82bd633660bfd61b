/**
 * Decoded frames into tracks of a normal MediaStream: `MediaStreamTrackGenerator` where
 * the browser has it (Chromium); elsewhere a canvas `captureStream()` for video and an
 * AudioContext's `MediaStreamAudioDestinationNode` for audio (Firefox). Audio goes
 * through the {@link JitterBuffer} either way, so a burst cannot build up latency.
 */
import { JitterBuffer } from './jitter-buffer.js';

/** A track fed frame by frame; `write` takes ownership of the frame and closes it. */
export interface TrackOutput<T> {
  readonly track: MediaStreamTrack;
  write(frame: T): void;
  close(): void;
}

interface Generator extends MediaStreamTrack {
  readonly writable: WritableStream<VideoFrame | AudioData>;
}
type GeneratorClass = new (init: { kind: 'audio' | 'video' }) => Generator;

function generatorClass(): GeneratorClass | undefined {
  const found = (globalThis as Record<string, unknown>).MediaStreamTrackGenerator;
  return typeof found === 'function' ? (found as GeneratorClass) : undefined;
}

/** A generator track: frames are written as they come (a write still pending: dropped). */
function generatorOutput<T extends VideoFrame | AudioData>(
  Generator: GeneratorClass,
  kind: 'audio' | 'video',
  accept: (frame: T) => boolean = () => true,
): TrackOutput<T> {
  const track = new Generator({ kind });
  const writer = track.writable.getWriter();
  let closed = false;
  return {
    track,
    write(frame) {
      if (closed || !accept(frame)) {
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
  if (Generator) return generatorOutput<VideoFrame>(Generator, 'video');
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

/** The remote audio as a track. */
export function audioOutput(): AudioOutput {
  const jitter = new JitterBuffer();
  const Generator = generatorClass();
  if (Generator) {
    // The generator's sink plays what it is given at once: the buffer only bounds latency.
    const now = () => performance.now();
    const output = generatorOutput<AudioData>(Generator, 'audio', (data) => {
      return jitter.schedule(now(), (data.numberOfFrames / data.sampleRate) * 1000) !== undefined;
    });
    return { ...output, jitter };
  }
  const context = new AudioContext({ latencyHint: 'interactive' });
  const destination = context.createMediaStreamDestination();
  const track = destination.stream.getAudioTracks()[0];
  if (!track) throw new Error('no audio track from an AudioContext destination');
  context.resume().catch(() => {});
  return {
    track,
    jitter,
    write(data) {
      const frames = data.numberOfFrames;
      const buffer = context.createBuffer(data.numberOfChannels, frames, data.sampleRate);
      for (let c = 0; c < data.numberOfChannels; c += 1) {
        const plane = new Float32Array(frames);
        data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
        buffer.copyToChannel(plane, c);
      }
      data.close();
      const start = jitter.schedule(
        context.currentTime * 1000,
        (frames / buffer.sampleRate) * 1000,
      );
      if (start === undefined) return;
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.connect(destination);
      source.start(start / 1000);
    },
    close() {
      track.stop();
      context.close().catch(() => {});
    },
  };
}
