import { describe, expect, it } from 'vitest';
import { DataChannelLane } from '../../sdk/link/direct/data-channel-lane.js';
import { MAX_FRAME_BYTES, SAFE_FRAME_BYTES } from '../../sdk/link/framing.js';

/** The little of an RTCDataChannel the lane touches before it opens. */
function fakeChannel(): RTCDataChannel {
  return {
    readyState: 'connecting',
    bufferedAmount: 0,
    bufferedAmountLowThreshold: 0,
    binaryType: 'blob',
    addEventListener() {},
    send() {},
  } as unknown as RTCDataChannel;
}

describe('DataChannelLane', () => {
  it('sends frames as large as both ends take: the negotiated maxMessageSize, at most 256 KiB', () => {
    let sctp: { maxMessageSize: number } | null = null;
    const lane = new DataChannelLane(fakeChannel(), () => sctp);
    // Not negotiated yet: what every browser takes.
    expect(lane.maxFrameBytes).toBe(SAFE_FRAME_BYTES);
    sctp = { maxMessageSize: 65_536 }; // Safari's advertised limit
    expect(lane.maxFrameBytes).toBe(65_536);
    // Read once known: the limit of a connection does not change.
    sctp = { maxMessageSize: 1 << 30 };
    expect(lane.maxFrameBytes).toBe(65_536);

    for (const [size, frame] of [
      [262_144, MAX_FRAME_BYTES], // Chromium
      [1 << 30, MAX_FRAME_BYTES], // Firefox
      [Number.POSITIVE_INFINITY, MAX_FRAME_BYTES], // a peer that advertises no limit
      [0, SAFE_FRAME_BYTES], // nonsense: the safe size
      [Number.NaN, SAFE_FRAME_BYTES],
    ] as const) {
      const other = new DataChannelLane(fakeChannel(), () => ({ maxMessageSize: size }));
      expect(other.maxFrameBytes, `maxMessageSize ${size}`).toBe(frame);
    }
    // A runtime without RTCPeerConnection.sctp (or a closed connection): the safe size.
    expect(new DataChannelLane(fakeChannel()).maxFrameBytes).toBe(SAFE_FRAME_BYTES);
  });
});
