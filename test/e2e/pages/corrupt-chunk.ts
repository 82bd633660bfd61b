/**
 * A broken path, for the integrity tests: wraps a data channel's `send` so that the file
 * chunk holding a chosen byte goes out with that byte's low bit flipped — after the sender
 * hashed it, as a faulty network or middlebox would. Used through the SDK's `wrtc` option
 * (no SDK hook, no patched global), by Node tests and by the files page alike.
 *
 * A chunk frame is `[3][transfer id u32][offset: high u32, low u32][payload]`
 * (`sdk/transfer/transfer-protocol.ts`).
 */
const FILE_CHUNK = 3;
const HEADER_BYTES = 13;

/**
 * Where to corrupt: the byte at `offset` of the file, once (whatever size the chunks
 * are); `undefined` corrupts nothing.
 */
export interface CorruptTarget {
  offset: number | undefined;
}

/** Makes `channel.send` flip the low bit of the file's byte at `target.offset`, once. */
export function corruptChunks(channel: RTCDataChannel, target: CorruptTarget): void {
  const send = channel.send.bind(channel) as (data: ArrayBufferView) => void;
  channel.send = ((data: ArrayBufferView) => {
    const frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (target.offset !== undefined && frame[0] === FILE_CHUNK && frame.byteLength > HEADER_BYTES) {
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      const offset = view.getUint32(5) * 2 ** 32 + view.getUint32(9);
      const at = target.offset - offset;
      if (at >= 0 && at < frame.byteLength - HEADER_BYTES) {
        target.offset = undefined;
        const copy = frame.slice();
        copy[HEADER_BYTES + at] = (copy[HEADER_BYTES + at] ?? 0) ^ 1;
        send(copy);
        return;
      }
    }
    send(data);
  }) as RTCDataChannel['send'];
}

/** An RTCPeerConnection class whose data channels corrupt the file's byte at `target.offset`. */
export function corruptingPeerConnection(
  Base: typeof RTCPeerConnection,
  target: CorruptTarget,
): typeof RTCPeerConnection {
  return class extends Base {
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init);
      corruptChunks(channel, target);
      return channel;
    }
  };
}
