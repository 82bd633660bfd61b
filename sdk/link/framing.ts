/**
 * The bytes of one frame on a lane (`lane.ts`), whichever route carries it. A lane carries
 * frames for one peer and knows nothing of messages; the message layer
 * (`message-stream.ts`) cuts messages into frames and back.
 *
 * A message frame is a 10-byte header and a payload, all integers big-endian:
 *
 * | offset | size | field                                                            |
 * |-------:|-----:|------------------------------------------------------------------|
 * |      0 |    1 | kind: {@link FRAME_KIND}`.MESSAGE`                               |
 * |      1 |    1 | flags: bit 0 = text (UTF-8), bit 1 = last fragment, bit 2 = broadcast |
 * |      2 |    4 | seq: the message's number, 1, 2, 3… per direction of one link    |
 * |      6 |    4 | offset: where this fragment's payload starts within the message  |
 * |     10 |    … | payload                                                          |
 *
 * `seq` and `offset` make every fragment self-describing, so a hand-over to another route
 * can resend from the first unconfirmed message and the receiver can drop what it already has
 * (no loss, no duplicate, no reordering). Kinds other than MESSAGE are reserved for such
 * control frames (acknowledgements, the hand-over); unknown kinds are ignored.
 */

/**
 * Frame kinds. 0 is never used, so a zeroed buffer is not a valid frame. A PING keeps an
 * idle link audible and tells the other side that frames flow (again) after a break: the
 * byte `2`, optionally followed by one byte saying how often the sender pings now, in
 * 100 ms units (so the other side knows how soon silence means trouble; see
 * {@link pingInterval}). FILE_CHUNK and FILE_CONTROL travel on the bulk lane only
 * (`transfer/transfer-protocol.ts`).
 */
export const FRAME_KIND = {
  MESSAGE: 1,
  PING: 2,
  FILE_CHUNK: 3,
  FILE_CONTROL: 4,
  /** `[5][seq u32]`: the receiver has every message up to seq (`handover.ts`). */
  ACK: 5,
  /**
   * `[6][epoch u32][down u8]`: from here on this lane carries the sender's messages
   * (`handover.ts`); `down` is 1 when the sender has no working direct route.
   */
  SWITCH: 6,
  /**
   * `[7][seq u32]`: the receiver is missing message seq — later ones came first, the
   * relay lost it on the way — and asks for every unacknowledged message again
   * (`handover.ts`).
   */
  RESEND: 7,
} as const;

const FLAG_TEXT = 0b001;
const FLAG_FINAL = 0b010;
/** Sent with `room.broadcast()`: receivers drop it from peers whose token forbids broadcasting. */
const FLAG_BROADCAST = 0b100;

/** Bytes of a message frame's header. */
export const HEADER_BYTES = 10;

/**
 * Largest frame the SDK sends, header included: Chromium's cap for a data-channel message.
 * A lane sends at most what its channel takes (`Lane.maxFrameBytes`): on a direct link
 * what both ends' SDP allow (Safari advertises 64 KiB), on the relay one piece.
 */
export const MAX_FRAME_BYTES = 256 * 1024;

/**
 * A data-channel message every browser accepts, for a channel whose limit is not known.
 * Larger messages cost less per byte: in Chromium here 256 KiB ones moved 1.7× the bytes
 * per second of 64 KiB ones at 0.7× the CPU per byte (`npm run bench files`).
 */
export const SAFE_FRAME_BYTES = 64 * 1024;

/** Largest payload of one fragment. */
export const MAX_FRAGMENT_BYTES = MAX_FRAME_BYTES - HEADER_BYTES;

/** One fragment of a message, decoded. */
export interface Fragment {
  /** The message's sequence number (1, 2, 3…, wrapping after 2³²−1). */
  seq: number;
  /** True when the whole message is a string (its bytes are UTF-8). */
  text: boolean;
  /** True on the last fragment of the message. */
  final: boolean;
  /** True when the message was sent to the whole room (`room.broadcast()`). */
  broadcast?: boolean;
  /** Position of `payload` within the message's bytes. */
  offset: number;
  payload: Uint8Array;
}

/**
 * Encodes one fragment into a frame (header + a copy of the payload): at the start of
 * `into` when it has room, else in a new buffer.
 */
export function encodeFragment(fragment: Fragment, into?: Uint8Array): Uint8Array {
  const length = HEADER_BYTES + fragment.payload.byteLength;
  const frame =
    into && into.byteLength >= length ? into.subarray(0, length) : new Uint8Array(length);
  const view = new DataView(frame.buffer, frame.byteOffset, length);
  view.setUint8(0, FRAME_KIND.MESSAGE);
  view.setUint8(
    1,
    (fragment.text ? FLAG_TEXT : 0) |
      (fragment.final ? FLAG_FINAL : 0) |
      (fragment.broadcast ? FLAG_BROADCAST : 0),
  );
  view.setUint32(2, fragment.seq);
  view.setUint32(6, fragment.offset);
  frame.set(fragment.payload, HEADER_BYTES);
  return frame;
}

/** The PING frame; with `everyMs`, saying the sender pings that often now (≤ 25.5 s). */
export function encodePing(everyMs?: number): Uint8Array {
  if (everyMs === undefined) return new Uint8Array([FRAME_KIND.PING]);
  return new Uint8Array([FRAME_KIND.PING, Math.min(255, Math.max(1, Math.round(everyMs / 100)))]);
}

/** How often the sender of `frame` pings, in ms, if it is a PING that says so. */
export function pingInterval(frame: Uint8Array): number | undefined {
  if (frame[0] !== FRAME_KIND.PING || frame.byteLength < 2) return undefined;
  return (frame[1] ?? 0) * 100 || undefined;
}

/** What {@link decodeFrame} found: a fragment, a ping, a frame of a kind to ignore, or garbage. */
export type DecodedFrame =
  | { kind: 'fragment'; fragment: Fragment }
  | { kind: 'ping' }
  | { kind: 'unknown'; frameKind: number }
  | { kind: 'invalid'; reason: string };

/** Decodes one received frame. The fragment's payload is a view into `frame`. Never throws. */
export function decodeFrame(frame: Uint8Array): DecodedFrame {
  if (frame.byteLength < 1) return { kind: 'invalid', reason: 'empty frame' };
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const frameKind = view.getUint8(0);
  if (frameKind === 0) return { kind: 'invalid', reason: 'frame kind 0' };
  if (frameKind === FRAME_KIND.PING) return { kind: 'ping' };
  if (frameKind !== FRAME_KIND.MESSAGE) return { kind: 'unknown', frameKind };
  if (frame.byteLength < HEADER_BYTES) {
    return { kind: 'invalid', reason: `message frame of ${frame.byteLength} bytes` };
  }
  const flags = view.getUint8(1);
  if (flags & ~(FLAG_TEXT | FLAG_FINAL | FLAG_BROADCAST)) {
    return { kind: 'invalid', reason: `unknown flags ${flags}` };
  }
  return {
    kind: 'fragment',
    fragment: {
      seq: view.getUint32(2),
      text: (flags & FLAG_TEXT) !== 0,
      final: (flags & FLAG_FINAL) !== 0,
      broadcast: (flags & FLAG_BROADCAST) !== 0,
      offset: view.getUint32(6),
      payload: frame.subarray(HEADER_BYTES),
    },
  };
}
