/**
 * Frames from a local track, for the relay's encoders: `MediaStreamTrackProcessor` where
 * the browser has it (Chromium); elsewhere a hidden `<video>` with
 * `requestVideoFrameCallback` → `new VideoFrame(video)` for video, and an AudioWorklet that
 * posts the PCM it hears for audio (Firefox). The consumer owns each frame and closes it.
 */

/** A running capture; `stop()` ends it (the track itself is not stopped). */
export interface Capture {
  stop(): void;
}

/**
 * Audio the processor holds for a page whose thread is busy, in frames (Chromium's are
 * 10 ms): past its buffer a processor drops the oldest. With Chromium's default, a
 * sender's busy thread lost up to half a second's samples (measured: 21,600 of 48,000 in a
 * second), each loss a gap at the other end. Video keeps the default: an old frame is
 * worth nothing.
 */
export const AUDIO_BUFFER_FRAMES = 100;

/** Reads every frame a track processor yields until stopped. */
function fromProcessor<T extends VideoFrame | AudioData>(
  track: MediaStreamTrack,
  onFrame: (frame: T) => void,
  maxBufferSize?: number,
): Capture {
  const Processor = (
    globalThis as unknown as {
      MediaStreamTrackProcessor: new (init: {
        track: MediaStreamTrack;
        maxBufferSize?: number;
      }) => { readable: ReadableStream<T> };
    }
  ).MediaStreamTrackProcessor;
  const init = maxBufferSize === undefined ? { track } : { track, maxBufferSize };
  const reader = new Processor(init).readable.getReader();
  let stopped = false;
  const loop = async (): Promise<void> => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (stopped) value.close();
      else onFrame(value);
    }
  };
  loop().catch(() => {}); // the track ended or was stopped: the capture is over
  return {
    stop() {
      stopped = true;
      reader.cancel().catch(() => {});
    },
  };
}

/** Video frames of `track`, each with the moment it was captured. */
export function captureVideo(
  track: MediaStreamTrack,
  onFrame: (frame: VideoFrame) => void,
): Capture {
  if (typeof (globalThis as Record<string, unknown>).MediaStreamTrackProcessor === 'function') {
    return fromProcessor<VideoFrame>(track, onFrame);
  }
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  let stopped = false;
  let handle = 0;
  const next = (): void => {
    handle = video.requestVideoFrameCallback((_now, metadata) => {
      if (stopped) return;
      try {
        onFrame(new VideoFrame(video, { timestamp: Math.round(metadata.mediaTime * 1e6) }));
      } catch {
        // No frame to copy yet (the element is between frames): wait for the next one.
      }
      next();
    });
  };
  next();
  video.play().catch(() => {});
  return {
    stop() {
      stopped = true;
      video.cancelVideoFrameCallback(handle);
      video.srcObject = null;
    },
  };
}

/** The worklet that hands each 128-sample block of PCM to the page (planar float32). */
const WORKLET = `registerProcessor('peerlane-pcm', class extends AudioWorkletProcessor {
  process(inputs) {
    const input = inputs[0];
    if (input && input.length > 0) this.port.postMessage(input.map((c) => c.slice()));
    return true;
  }
});`;

/** Audio of `track` as AudioData (f32-planar), about every 10–20 ms. */
export function captureAudio(track: MediaStreamTrack, onData: (data: AudioData) => void): Capture {
  if (typeof (globalThis as Record<string, unknown>).MediaStreamTrackProcessor === 'function') {
    return fromProcessor<AudioData>(track, onData, AUDIO_BUFFER_FRAMES);
  }
  // 48 kHz: the rate Opus encodes at (Firefox's encoder takes no other rate from 44.1 kHz).
  const context = new AudioContext({ sampleRate: 48_000 });
  let stopped = false;
  let timestamp = 0;
  const url = URL.createObjectURL(new Blob([WORKLET], { type: 'text/javascript' }));
  const start = async (): Promise<void> => {
    await context.audioWorklet.addModule(url);
    if (stopped) return;
    const source = context.createMediaStreamSource(new MediaStream([track]));
    const node = new AudioWorkletNode(context, 'peerlane-pcm');
    // Gathers 128-sample blocks into 10 ms, so the encoder is not called 375 times a second.
    const block = Math.round(context.sampleRate / 100);
    let pending: Float32Array[][] = [];
    let frames = 0;
    node.port.onmessage = (event: MessageEvent<Float32Array[]>) => {
      if (stopped) return;
      pending.push(event.data);
      frames += event.data[0]?.length ?? 0;
      if (frames < block) return;
      const channels = event.data.length;
      const data = new Float32Array(frames * channels);
      let at = 0;
      for (let c = 0; c < channels; c += 1) {
        for (const part of pending) {
          const samples = part[c] ?? new Float32Array(part[0]?.length ?? 0);
          data.set(samples, at);
          at += samples.length;
        }
      }
      onData(
        new AudioData({
          format: 'f32-planar',
          sampleRate: context.sampleRate,
          numberOfFrames: frames,
          numberOfChannels: channels,
          timestamp,
          data,
        }),
      );
      timestamp += Math.round((frames / context.sampleRate) * 1e6);
      pending = [];
      frames = 0;
    };
    source.connect(node);
    // A worklet runs only when pulled; a silent gain keeps it pulled without playing it.
    const mute = context.createGain();
    mute.gain.value = 0;
    node.connect(mute).connect(context.destination);
    await context.resume();
  };
  start().catch(() => {});
  return {
    stop() {
      stopped = true;
      URL.revokeObjectURL(url);
      context.close().catch(() => {});
    },
  };
}
