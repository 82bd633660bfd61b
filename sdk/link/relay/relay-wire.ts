/**
 * The relay's binary frames as the SDK writes and reads them (the format is defined in
 * `signaling/protocol.ts`): `[RELAY_DATA][22-byte peer id][payload]`. Inside the payload
 * the SDK puts one tag byte before each piece of a lane's frame:
 *
 * | bits | meaning                                                                  |
 * |-----:|--------------------------------------------------------------------------|
 * |  0–6 | the lane: {@link RELAY_LANE}`.MESSAGE`, `.BULK` or `.MEDIA` (audio/video) |
 * |    7 | more pieces of the same frame follow (a frame larger than one payload)   |
 *
 * The tags are defined in `signaling/protocol.ts`: the server reads them to count media.
 *
 * Pieces of one lane's frame travel in order (one WebSocket, one server path per pair);
 * pieces of the two lanes may interleave.
 */
import {
  RELAY_DATA,
  RELAY_HEADER_BYTES,
  RELAY_LANE,
  RELAY_MORE_PIECES,
  RELAY_SYNC,
  RELAY_SYNC_BYTES,
  type RelayLaneTag,
} from '../../../signaling/protocol.js';

export { RELAY_LANE, type RelayLaneTag };

/** Bit 7 of the tag: the frame continues in the next piece. */
export const MORE_PIECES = RELAY_MORE_PIECES;

/** `ref` prefix of the SDK's `relay-credit` frames, so a refused grant can be sent again. */
export const RELAY_CREDIT_REF = 'relay-credit:';

/** The header of a binary WebSocket frame of `kind` to peer `to`; the payload follows it. */
export function relayFrameHeader(to: string, kind = RELAY_DATA): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(RELAY_HEADER_BYTES);
  header[0] = kind;
  for (let i = 0; i < 22; i += 1) header[1 + i] = to.charCodeAt(i);
  return header;
}

/** A credit sync to peer `to`, numbered `n` (see `RELAY_SYNC`). */
export function relaySyncFrame(to: string, n: number): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(RELAY_SYNC_BYTES);
  frame.set(relayFrameHeader(to, RELAY_SYNC));
  new DataView(frame.buffer).setUint32(RELAY_HEADER_BYTES, n);
  return frame;
}
