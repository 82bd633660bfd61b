/**
 * The file-transfer protocol between two peers, defined once here. It runs on a link's
 * bulk lane (any {@link Lane}: a data channel today, the relay later) and knows nothing of
 * WebRTC. Two frame kinds share the lane with nothing else:
 *
 * A CHUNK frame: 13-byte header and payload, integers big-endian.
 *
 * | offset | size | field                                                        |
 * |-------:|-----:|--------------------------------------------------------------|
 * |      0 |    1 | kind: `FRAME_KIND.FILE_CHUNK`                                |
 * |      1 |    4 | transfer id (the sender's number for the transfer, 1, 2, 3…) |
 * |      5 |    8 | offset of the payload within the file (< 2⁵³)                |
 * |     13 |    … | payload                                                      |
 *
 * A CONTROL frame: the kind byte `FRAME_KIND.FILE_CONTROL`, then one JSON object (UTF-8),
 * checked with {@link ControlFrame} on arrival.
 *
 * | frame      | from     | meaning                                                          |
 * |------------|----------|------------------------------------------------------------------|
 * | `offer`    | sender   | name, size (null: unknown until `end`), type                     |
 * | `accept`   | receiver | send from `offset`; at most `window` bytes past the last `ack`   |
 * | `reject`   | receiver | the receiver declines the offer                                  |
 * | `ack`      | receiver | bytes before `offset` are written to the sink (confirmed)        |
 * | `end`      | sender   | every byte was sent: total `size` and the file's `digest`        |
 * | `verified` | receiver | the receiver's digest matches: the transfer is complete          |
 * | `cancel`   | either   | the transfer is over, with an error `code` (`by` names the side) |
 *
 * Credit: the sender never sends past `last ack + window`; the receiver acks only what it
 * has written, so both sides hold at most `window` bytes of a transfer. Resume: when a new
 * lane opens (new link, transport switch), the receiver sends `accept` again with the
 * offset it has, and the sender sends its `offer` again, which a receiver already
 * receiving answers with that `accept` (the two sides move at different moments: the
 * first to arrive may find nobody listening). The sender sends nothing until an `accept`
 * comes, goes on from its offset (it keeps the unacknowledged bytes), and ignores the
 * same answer coming twice. A frame about a transfer a side has finished is answered with
 * that transfer's last frame (`verified`, `reject` or `cancel`), so an answer lost with a
 * lane is asked for again.
 *
 * Digest: SHA-256 over the SHA-256s of the file's 256 KiB pieces, in order, in lowercase
 * hex (`file-digest.ts`). Both sides hash each byte once as it streams.
 */
import * as z from 'zod/mini';
import { PeerlaneError } from '../errors.js';
import { FRAME_KIND, MAX_FRAME_BYTES, SAFE_FRAME_BYTES } from '../link/framing.js';

/** Bytes of a chunk frame's header. */
export const CHUNK_HEADER_BYTES = 13;
/** Largest payload of one chunk frame (a lane's frames may be smaller: `Lane.maxFrameBytes`). */
export const MAX_CHUNK_BYTES = MAX_FRAME_BYTES - CHUNK_HEADER_BYTES;
/**
 * The smallest receive window: one chunk of a frame every channel takes. A sender never
 * sends past the window, so a chunk is cut to what is left of it.
 */
export const MIN_WINDOW_BYTES = SAFE_FRAME_BYTES - CHUNK_HEADER_BYTES;
/** Largest transfer id (ids are unsigned 32-bit). */
export const MAX_TRANSFER_ID = 0xffff_ffff;

/** Codes a `cancel` frame may carry: why the transfer ended early. */
export const CANCEL_CODES = [
  'TRANSFER_CANCELLED',
  'INTEGRITY_FAILED',
  'SOURCE_UNREADABLE',
  'SINK_UNWRITABLE',
  'TRANSFER_FAILED',
] as const;
export type CancelCode = (typeof CANCEL_CODES)[number];

const Id = z.int().check(z.gte(1), z.lte(MAX_TRANSFER_ID));
const Offset = z.int().check(z.gte(0), z.lte(Number.MAX_SAFE_INTEGER));
/** The longest reason a `reject` or `cancel` frame carries; longer ones are cut when sent. */
export const MAX_REASON_CHARS = 500;
const Reason = z.string().check(z.maxLength(MAX_REASON_CHARS));

/** An app's reason for `reject()` or `cancel()` (the `call`) must be a string. */
export function checkReason(call: string, reason: unknown): void {
  if (typeof reason !== 'string') {
    throw new PeerlaneError(
      'INVALID_ARGUMENT',
      `${call}(): reason must be a string (got ${typeof reason})`,
    );
  }
}

/** Every control frame, validated on arrival. */
export const ControlFrame = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('offer'),
    id: Id,
    name: z.string().check(z.maxLength(1024)),
    size: z.nullable(Offset),
    type: z.string().check(z.maxLength(256)),
  }),
  z.object({
    t: z.literal('accept'),
    id: Id,
    offset: Offset,
    window: z.int().check(z.gte(MIN_WINDOW_BYTES), z.lte(1 << 30)),
  }),
  z.object({ t: z.literal('reject'), id: Id, reason: Reason }),
  z.object({ t: z.literal('ack'), id: Id, offset: Offset }),
  z.object({
    t: z.literal('end'),
    id: Id,
    size: Offset,
    digest: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  }),
  z.object({ t: z.literal('verified'), id: Id }),
  z.object({
    t: z.literal('cancel'),
    id: Id,
    by: z.enum(['sender', 'receiver']),
    code: z.enum(CANCEL_CODES),
    reason: Reason,
  }),
  /**
   * Frames were lost on this lane (with `e2ee`, one that did not open): start every
   * transfer again from what its receiver confirmed, as after a lane change.
   */
  z.object({ t: z.literal('sync') }),
]);
export type ControlFrame = z.infer<typeof ControlFrame>;
/** A control frame about one transfer (every kind but `sync`). */
export type TransferControl = Exclude<ControlFrame, { t: 'sync' }>;

/** A chunk frame, decoded. `payload` is a view into the frame. */
export interface Chunk {
  id: number;
  offset: number;
  payload: Uint8Array;
}

/** What {@link decodeTransferFrame} found. */
export type DecodedTransferFrame =
  | { kind: 'chunk'; chunk: Chunk }
  | { kind: 'control'; frame: ControlFrame }
  | { kind: 'invalid'; reason: string };

/**
 * A chunk frame with room for `payloadBytes` bytes at {@link CHUNK_HEADER_BYTES}: the
 * caller fills the payload in place (one copy from the source, none more). `spare`, a
 * frame no longer needed of exactly that size, is written over instead of allocating one.
 */
export function allocateChunk(
  id: number,
  offset: number,
  payloadBytes: number,
  spare?: Uint8Array,
): Uint8Array {
  const size = CHUNK_HEADER_BYTES + payloadBytes;
  const frame = spare?.byteLength === size ? spare : new Uint8Array(size);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  view.setUint8(0, FRAME_KIND.FILE_CHUNK);
  view.setUint32(1, id);
  view.setUint32(5, Math.floor(offset / 2 ** 32));
  view.setUint32(9, offset >>> 0);
  return frame;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes a control frame. A reason longer than {@link MAX_REASON_CHARS} (an app's, or a
 * sink's error message) is cut to fit: the peer would refuse the whole frame, and never
 * learn the transfer ended.
 */
export function encodeControl(frame: ControlFrame): Uint8Array {
  const fits =
    'reason' in frame && frame.reason.length > MAX_REASON_CHARS
      ? { ...frame, reason: `${frame.reason.slice(0, MAX_REASON_CHARS - 1)}…` }
      : frame;
  const json = encoder.encode(JSON.stringify(fits));
  const bytes = new Uint8Array(1 + json.byteLength);
  bytes[0] = FRAME_KIND.FILE_CONTROL;
  bytes.set(json, 1);
  return bytes;
}

/** Decodes a frame of the bulk lane. Never throws. */
export function decodeTransferFrame(frame: Uint8Array): DecodedTransferFrame {
  const kind = frame[0];
  if (kind === FRAME_KIND.FILE_CHUNK) {
    if (frame.byteLength < CHUNK_HEADER_BYTES) {
      return { kind: 'invalid', reason: `chunk frame of ${frame.byteLength} bytes` };
    }
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const high = view.getUint32(5);
    if (high >= 2 ** 21) return { kind: 'invalid', reason: 'chunk offset beyond 2^53' };
    return {
      kind: 'chunk',
      chunk: {
        id: view.getUint32(1),
        offset: high * 2 ** 32 + view.getUint32(9),
        payload: frame.subarray(CHUNK_HEADER_BYTES),
      },
    };
  }
  if (kind === FRAME_KIND.FILE_CONTROL) {
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(frame.subarray(1)));
    } catch {
      return { kind: 'invalid', reason: 'control frame is not JSON' };
    }
    const parsed = ControlFrame.safeParse(json);
    if (!parsed.success) {
      return { kind: 'invalid', reason: `control frame: ${parsed.error.issues[0]?.message}` };
    }
    return { kind: 'control', frame: parsed.data };
  }
  return { kind: 'invalid', reason: `frame kind ${String(kind)} on the bulk lane` };
}

/** The error a `cancel` frame from the other side stands for. */
export function cancelError(
  frame: Extract<ControlFrame, { t: 'cancel' }>,
  peerId: string,
): PeerlaneError {
  const who = frame.by === 'sender' ? 'the sender' : 'the receiver';
  const because = frame.reason ? `: ${frame.reason}` : '';
  return new PeerlaneError(frame.code, `peer ${peerId}: ${who} ended the transfer${because}`, {
    peerId,
  });
}
