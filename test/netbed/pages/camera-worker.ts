/**
 * The media benchmark's camera, drawn off the page's main thread: a module Worker gets the
 * fake camera's frames (a `MediaStreamTrackProcessor`'s readable) and a
 * `MediaStreamTrackGenerator`'s writable, both transferred, and at `fps` draws the latest
 * camera frame under moving sensor noise with the capture time stamped in
 * (`frame-stamp.ts`) on an `OffscreenCanvas`, and writes it as a new frame. A real camera
 * costs the page's main thread nothing; drawn there, this one cost a fifth of it, which
 * relayed media (encoded and decoded through the main thread) competes with and WebRTC
 * (its own threads) does not. Chromium only. Runs in the browser.
 */
import { drawStamp } from './frame-stamp.js';

/** What the page posts to start the camera. */
export interface CameraStart {
  camera: ReadableStream<VideoFrame>;
  out: WritableStream<VideoFrame>;
  width: number;
  height: number;
  fps: number;
}

/** A canvas of random grey pixels, made once. */
function noise(width: number, height: number): OffscreenCanvas {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2d canvas in the worker');
  const image = context.createImageData(width, height);
  for (let i = 0; i < image.data.length; i += 4) {
    const grey = Math.floor(Math.random() * 256);
    image.data[i] = grey;
    image.data[i + 1] = grey;
    image.data[i + 2] = grey;
    image.data[i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

async function run({ camera, out, width, height, fps }: CameraStart): Promise<void> {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2d canvas in the worker');
  const grain = noise(width * 2, height * 2);
  const writer = out.getWriter();
  let latest: VideoFrame | undefined;
  let stopped = false;
  const draw = () => {
    if (latest) context.drawImage(latest, 0, 0, width, height);
    // A camera's sensor noise, new in every frame: the encoder must spend its bitrate (the
    // fake camera's flat picture alone needs ~130 kbit/s of VP8 and would fill no link).
    context.globalAlpha = 0.2;
    context.drawImage(grain, -Math.random() * width, -Math.random() * height);
    context.globalAlpha = 1;
    drawStamp(context, Date.now(), width, height);
    const frame = new VideoFrame(canvas, { timestamp: Math.round(performance.now() * 1000) });
    // A write the track no longer takes (it was stopped) ends the camera.
    writer.write(frame).catch(() => {
      frame.close();
      stopped = true;
    });
  };
  const timer = setInterval(() => {
    if (stopped) clearInterval(timer);
    else draw();
  }, 1000 / fps);
  const reader = camera.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done || stopped) break;
    latest?.close();
    latest = value;
  }
  latest?.close();
  clearInterval(timer);
}

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<CameraStart>) => void) | null;
};
scope.onmessage = (event) => {
  run(event.data).catch((error: unknown) => {
    console.error(`camera worker: ${error instanceof Error ? error.message : String(error)}`);
  });
};
