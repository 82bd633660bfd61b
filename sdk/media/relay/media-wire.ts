/**
 * The media frames carried on the relay's media lane (`RELAY_LANE.MEDIA`), in one place:
 * how they are written, and how a frame from a peer is checked before anything uses it.
 *
 * Every frame starts with a kind byte:
 *
 * | kind    | layout (big-endian)                                                                 |
 * | ------- | ----------------------------------------------------------------------------------- |
 * | AUDIO   | `[1][flags u8][seq u32][captureMs f64][channels u8][Opus packet]`                   |
 * | VIDEO   | `[2][flags u8][seq u32][captureMs f64][codec u8][VP8 frame]` (flags bit 0: key)     |
 * | CONTROL | `[3][what u8]…`: `KEY_REQUEST` `[3][1]`; `STATE` `[3][2][bits u8]`; `DELAY` `[3][3][ms u16]` |
 *
 * `seq` counts the frames of one kind (a gap means frames were dropped); `captureMs` is
 * when the sender captured it, in ms since the epoch (`performance.timeOrigin + now()`).
 * STATE bits: 0 audio published, 1 video published, 2 audio on (not muted), 3 video on,
 * 4 this side can decode (has WebCodecs). DELAY: the receiver's frames queue this many ms
 * on the way (`queue-delay.ts`); the sender slows down. Anything else — an unknown kind, a short or
 * oversized frame, a bad field — is refused with a reason, never thrown.
 */

/** The kind byte of a media frame. */
export const MEDIA_KIND = { AUDIO: 1, VIDEO: 2, CONTROL: 3 } as const;
/** What a CONTROL frame says. */
export const CONTROL = { KEY_REQUEST: 1, STATE: 2, DELAY: 3 } as const;
/** The only video codec on the wire so far (`codec` byte). */
export const VIDEO_CODEC_VP8 = 1;

/** Bytes before an audio or video frame's codec data. */
export const MEDIA_HEADER_BYTES = 15;
/** The largest Opus packet accepted (20 ms at 510 kbit/s is ~1.3 KB). */
export const MAX_AUDIO_BYTES = 4 * 1024;
/** The largest encoded video frame accepted (a 1080p VP8 key frame at 2 Mbit/s fits). */
export const MAX_VIDEO_BYTES = 256 * 1024;
/** The largest media frame of any kind: what a receiver puts back together at most. */
export const MAX_MEDIA_FRAME_BYTES = MEDIA_HEADER_BYTES + MAX_VIDEO_BYTES;
/**
 * The latest capture time accepted (ms since the epoch, the year 2255): in µs it is still
 * a safe integer, as a WebCodecs chunk's timestamp must be (a later one throws a TypeError).
 */
export const MAX_CAPTURE_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/** What a peer sends, in a STATE frame. */
export interface MediaStateBits {
  audio: boolean;
  video: boolean;
  audioOn: boolean;
  videoOn: boolean;
  /** It can decode what it receives (its browser has WebCodecs). */
  decodes: boolean;
}

/** One decoded media frame. */
export type MediaFrame =
  | {
      kind: 'audio';
      seq: number;
      captureMs: number;
      channels: number;
      data: Uint8Array;
    }
  | {
      kind: 'video';
      seq: number;
      captureMs: number;
      key: boolean;
      data: Uint8Array;
    }
  | { kind: 'key-request' }
  | { kind: 'delay'; queuedMs: number }
  | ({ kind: 'state' } & MediaStateBits);

/** What {@link readMediaFrame} answers: the frame, or why it was refused. */
export type ReadResult = { ok: true; frame: MediaFrame } | { ok: false; reason: string };

/** Writes an audio frame (an Opus packet). */
export function writeAudio(
  seq: number,
  captureMs: number,
  channels: number,
  data: Uint8Array,
): Uint8Array {
  const frame = header(MEDIA_KIND.AUDIO, 0, seq, captureMs, data.byteLength);
  frame[14] = channels;
  frame.set(data, MEDIA_HEADER_BYTES);
  return frame;
}

/** Writes a video frame (VP8). */
export function writeVideo(
  seq: number,
  captureMs: number,
  key: boolean,
  data: Uint8Array,
): Uint8Array {
  const frame = header(MEDIA_KIND.VIDEO, key ? 1 : 0, seq, captureMs, data.byteLength);
  frame[14] = VIDEO_CODEC_VP8;
  frame.set(data, MEDIA_HEADER_BYTES);
  return frame;
}

/** Writes a key-frame request (the receiver lost frames, or cannot decode). */
export function writeKeyRequest(): Uint8Array {
  return Uint8Array.of(MEDIA_KIND.CONTROL, CONTROL.KEY_REQUEST);
}

/** Writes a DELAY report: frames from the peer queue `queuedMs` on the way (capped at 65535). */
export function writeDelay(queuedMs: number): Uint8Array {
  const ms = Math.max(0, Math.min(0xffff, Math.round(queuedMs)));
  return Uint8Array.of(MEDIA_KIND.CONTROL, CONTROL.DELAY, ms >> 8, ms & 0xff);
}

/** Writes a STATE frame: what this side sends, and whether it can decode. */
export function writeState(bits: MediaStateBits): Uint8Array {
  const value =
    (bits.audio ? 1 : 0) |
    (bits.video ? 2 : 0) |
    (bits.audioOn ? 4 : 0) |
    (bits.videoOn ? 8 : 0) |
    (bits.decodes ? 16 : 0);
  return Uint8Array.of(MEDIA_KIND.CONTROL, CONTROL.STATE, value);
}

/** Reads and checks one media frame from a peer. `data` is a view into `bytes`. */
export function readMediaFrame(bytes: Uint8Array): ReadResult {
  const kind = bytes[0];
  if (kind === MEDIA_KIND.CONTROL) return readControl(bytes);
  if (kind !== MEDIA_KIND.AUDIO && kind !== MEDIA_KIND.VIDEO) {
    return { ok: false, reason: `unknown media frame kind ${String(kind)}` };
  }
  if (bytes.byteLength <= MEDIA_HEADER_BYTES) {
    return { ok: false, reason: `media frame of ${bytes.byteLength} bytes is too short` };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = view.getUint8(1);
  const seq = view.getUint32(2);
  const captureMs = view.getFloat64(6);
  const extra = view.getUint8(14);
  const data = bytes.subarray(MEDIA_HEADER_BYTES);
  if (!Number.isFinite(captureMs) || captureMs < 0 || captureMs > MAX_CAPTURE_MS) {
    return { ok: false, reason: 'media frame has no valid capture time' };
  }
  if (kind === MEDIA_KIND.AUDIO) {
    if (data.byteLength > MAX_AUDIO_BYTES) {
      return {
        ok: false,
        reason: `audio frame of ${data.byteLength} bytes (limit ${MAX_AUDIO_BYTES})`,
      };
    }
    if (flags !== 0 || extra < 1 || extra > 2) {
      return { ok: false, reason: `audio frame with flags ${flags} and ${extra} channels` };
    }
    return { ok: true, frame: { kind: 'audio', seq, captureMs, channels: extra, data } };
  }
  if (data.byteLength > MAX_VIDEO_BYTES) {
    return {
      ok: false,
      reason: `video frame of ${data.byteLength} bytes (limit ${MAX_VIDEO_BYTES})`,
    };
  }
  if ((flags & ~1) !== 0 || extra !== VIDEO_CODEC_VP8) {
    return { ok: false, reason: `video frame with flags ${flags} and codec ${extra}` };
  }
  return { ok: true, frame: { kind: 'video', seq, captureMs, key: (flags & 1) === 1, data } };
}

function readControl(bytes: Uint8Array): ReadResult {
  const what = bytes[1];
  if (what === CONTROL.KEY_REQUEST && bytes.byteLength === 2) {
    return { ok: true, frame: { kind: 'key-request' } };
  }
  const value = bytes[2] ?? 0;
  if (what === CONTROL.DELAY && bytes.byteLength === 4) {
    return { ok: true, frame: { kind: 'delay', queuedMs: (value << 8) | (bytes[3] ?? 0) } };
  }
  if (what === CONTROL.STATE && bytes.byteLength === 3 && value < 32) {
    return {
      ok: true,
      frame: {
        kind: 'state',
        audio: (value & 1) !== 0,
        video: (value & 2) !== 0,
        audioOn: (value & 4) !== 0,
        videoOn: (value & 8) !== 0,
        decodes: (value & 16) !== 0,
      },
    };
  }
  return {
    ok: false,
    reason: `bad control frame (${bytes.byteLength} bytes, kind ${String(what)})`,
  };
}

function header(
  kind: number,
  flags: number,
  seq: number,
  captureMs: number,
  size: number,
): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(MEDIA_HEADER_BYTES + size);
  const view = new DataView(frame.buffer);
  view.setUint8(0, kind);
  view.setUint8(1, flags);
  view.setUint32(2, seq >>> 0);
  view.setFloat64(6, captureMs);
  return frame;
}
