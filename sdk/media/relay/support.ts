/**
 * Feature detection for relayed media: what this runtime has of WebCodecs and of the
 * capture and output paths around it. Nothing here throws; Node (no WebCodecs, no
 * MediaStream) simply has no relayed media.
 */

/** What relayed media can use here (see `relayMediaSupport()`). */
export interface RelayMediaSupport {
  /** Encode and decode: `VideoEncoder`/`VideoDecoder` (VP8), `AudioEncoder`/`AudioDecoder` (Opus). */
  webCodecs: boolean;
  /** `MediaStreamTrackProcessor` (Chromium): frames straight from a track. */
  trackProcessor: boolean;
  /** `MediaStreamTrackGenerator` (Chromium): a track written frame by frame. */
  trackGenerator: boolean;
  /** What is missing, in words, when relayed media cannot work here; undefined when it can. */
  missing: string | undefined;
}

const has = (name: string): boolean =>
  typeof (globalThis as Record<string, unknown>)[name] === 'function';

/** Looks at the globals once per call (cheap). */
export function relayMediaSupport(): RelayMediaSupport {
  const codecs = [
    'VideoEncoder',
    'VideoDecoder',
    'AudioEncoder',
    'AudioDecoder',
    'VideoFrame',
    'AudioData',
  ];
  const lacking = codecs.filter((name) => !has(name));
  const trackProcessor = has('MediaStreamTrackProcessor');
  const trackGenerator = has('MediaStreamTrackGenerator');
  const dom = typeof document !== 'undefined' && has('MediaStream');
  // Without the track processor: <video> + requestVideoFrameCallback, and an AudioWorklet.
  const capture = trackProcessor || (dom && has('AudioWorkletNode') && has('AudioContext'));
  // Without the generator: a canvas captureStream() and an AudioContext's destination.
  const output = trackGenerator || (dom && has('AudioContext'));
  let missing: string | undefined;
  if (lacking.length > 0) missing = `this runtime has no WebCodecs (${lacking.join(', ')} missing)`;
  else if (!dom && !trackProcessor)
    missing = 'this runtime has no MediaStream to play or capture media';
  else if (!capture || !output)
    missing = 'this browser can neither capture nor play media frame by frame';
  return { webCodecs: lacking.length === 0, trackProcessor, trackGenerator, missing };
}
