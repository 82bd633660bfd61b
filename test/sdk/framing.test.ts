import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MessageData } from '../../sdk/api.js';
import { WATER_MARKS } from '../../sdk/link/flow.js';
import {
  decodeFrame,
  encodeFragment,
  encodePing,
  HEADER_BYTES,
  MAX_FRAGMENT_BYTES,
  MAX_FRAME_BYTES,
  pingInterval,
} from '../../sdk/link/framing.js';
import { type FrameSink, Inbox, Outbox, toBytes } from '../../sdk/link/message-stream.js';

/** A sink that keeps every frame and pretends `buffered` bytes are still waiting. */
function sink(buffered = 0): FrameSink & { frames: Uint8Array[]; buffered: number } {
  const frames: Uint8Array[] = [];
  return {
    frames,
    buffered,
    get bufferedAmount() {
      return this.buffered;
    },
    send(frame) {
      frames.push(frame.slice()); // a lane copies what it keeps: the outbox writes over `frame`
    },
  };
}

function sendAll(messages: MessageData[]): Uint8Array[] {
  const outbox = new Outbox();
  for (const message of messages) {
    const { text, bytes } = toBytes(message);
    outbox.push(text, bytes);
  }
  const out = sink();
  expect(outbox.flush(out)).toBe(true);
  return out.frames;
}

function receiveAll(frames: Uint8Array[], maxMessageBytes = 1 << 30) {
  const delivered: MessageData[] = [];
  const inbox = new Inbox(maxMessageBytes, (data) => delivered.push(data));
  const problems = frames.map((frame) => inbox.receive(frame)).filter((p) => p !== undefined);
  return { delivered, problems };
}

describe('framing', () => {
  it('encodes the documented header', () => {
    const frame = encodeFragment({
      seq: 0x01020304,
      text: true,
      final: true,
      offset: 70000,
      payload: new Uint8Array([9, 8]),
    });
    expect([...frame]).toEqual([1, 0b11, 1, 2, 3, 4, 0, 1, 0x11, 0x70, 9, 8]);
    expect(decodeFrame(frame)).toEqual({
      kind: 'fragment',
      fragment: {
        seq: 0x01020304,
        text: true,
        final: true,
        broadcast: false,
        offset: 70000,
        payload: new Uint8Array([9, 8]),
      },
    });
    const broadcast = encodeFragment({
      seq: 1,
      text: false,
      final: true,
      broadcast: true,
      offset: 0,
      payload: new Uint8Array(0),
    });
    expect(broadcast[1]).toBe(0b110);
    expect(decodeFrame(broadcast)).toMatchObject({
      fragment: { broadcast: true, text: false, final: true },
    });
  });

  it('a PING may say how often its sender pings; older one-byte PINGs say nothing', () => {
    expect([...encodePing(1000)]).toEqual([2, 10]);
    expect(decodeFrame(encodePing(1000))).toEqual({ kind: 'ping' });
    expect(pingInterval(encodePing(1000))).toBe(1000);
    expect(pingInterval(encodePing(99_999))).toBe(25_500);
    expect(pingInterval(encodePing())).toBeUndefined();
    expect(pingInterval(new Uint8Array([2, 0]))).toBeUndefined();
    expect(pingInterval(new Uint8Array([1, 10]))).toBeUndefined();
  });

  it('rejects garbage and skips kinds it does not know', () => {
    expect(decodeFrame(new Uint8Array([])).kind).toBe('invalid');
    expect(decodeFrame(new Uint8Array(12)).kind).toBe('invalid');
    expect(decodeFrame(new Uint8Array([1, 0, 0])).kind).toBe('invalid');
    expect(decodeFrame(new Uint8Array([1, 0x80, 0, 0, 0, 1, 0, 0, 0, 0])).kind).toBe('invalid');
    expect(decodeFrame(new Uint8Array([7, 1, 2]))).toEqual({ kind: 'unknown', frameKind: 7 });
    expect(decodeFrame(encodePing())).toEqual({ kind: 'ping' });
    expect(receiveAll([encodePing(), ...sendAll(['x'])])).toEqual({
      delivered: ['x'],
      problems: [],
    });
  });

  it('round-trips any sequence of strings and byte arrays, types and order intact', () => {
    const message = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 3000 }),
      fc.uint8Array({ maxLength: 3 * MAX_FRAGMENT_BYTES + 5 }).map((b) => new Uint8Array(b)),
    );
    fc.assert(
      fc.property(fc.array(message, { maxLength: 8 }), (messages) => {
        const frames = sendAll(messages);
        for (const frame of frames) expect(frame.byteLength).toBeLessThanOrEqual(MAX_FRAME_BYTES);
        const { delivered, problems } = receiveAll(frames);
        expect(problems).toEqual([]);
        expect(delivered).toEqual(messages);
      }),
      { numRuns: 60 },
    );
  });

  it('cuts a large message into full frames and a string split mid-character still decodes', () => {
    const text = '€'.repeat(MAX_FRAGMENT_BYTES); // 3 bytes each: fragment edges fall inside characters
    const frames = sendAll([text]);
    expect(frames.length).toBe(3);
    expect(frames[0]?.byteLength).toBe(MAX_FRAME_BYTES);
    expect(receiveAll(frames).delivered).toEqual([text]);
  });

  it('drops duplicates and takes a message resent from its start (a future transport switch)', () => {
    const frames = sendAll([new Uint8Array(MAX_FRAGMENT_BYTES + 10), 'two', 'three']);
    const [first, second, two, three] = frames as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const { delivered, problems } = receiveAll([
      first,
      first,
      second,
      two,
      first,
      second,
      two,
      three,
    ]);
    expect(problems).toEqual([]);
    expect(delivered.map((d) => (typeof d === 'string' ? d : d.byteLength))).toEqual([
      MAX_FRAGMENT_BYTES + 10,
      'two',
      'three',
    ]);
  });

  it('asks once for a lost message and waits for it; reports a message over the limit and invalid UTF-8, and goes on', () => {
    const frames = sendAll(['one', 'two', 'three', 'four']);
    // 'two' lost: nothing after it is delivered until it comes again, then all in order.
    const missing: number[] = [];
    const delivered: MessageData[] = [];
    const inbox = new Inbox(
      1 << 30,
      (data) => delivered.push(data),
      (seq) => missing.push(seq),
    );
    const order = [0, 2, 3, 1, 2, 3];
    const problems = order.map((i) => inbox.receive(frames[i] as Uint8Array));
    expect(delivered).toEqual(['one', 'two', 'three', 'four']);
    expect(missing).toEqual([2]); // once, though two later messages came first
    expect(problems.filter((p) => p !== undefined)).toEqual([]); // lost and sent again: no error

    const big = sendAll([new Uint8Array(2000), 'after']);
    const limited = receiveAll(big, 1000);
    expect(limited.delivered).toEqual(['after']);
    expect(limited.problems.map((p) => p.code)).toEqual(['MESSAGE_TOO_LARGE']);

    const bad = encodeFragment({
      seq: 1,
      text: true,
      final: true,
      offset: 0,
      payload: new Uint8Array([0xff]),
    });
    expect(receiveAll([bad]).problems.map((p) => p.code)).toEqual(['INVALID_DATA']);
  });

  it('stops feeding a full transport and goes on when it drains (back-pressure)', () => {
    const outbox = new Outbox();
    outbox.push(false, new Uint8Array(4 * 1024 * 1024));
    const out = sink();
    let sent = 0;
    out.send = (frame) => {
      out.frames.push(frame.slice());
      out.buffered += frame.byteLength;
      sent += frame.byteLength - HEADER_BYTES;
    };
    expect(outbox.flush(out)).toBe(false);
    expect(out.buffered).toBeGreaterThanOrEqual(WATER_MARKS.message);
    expect(out.buffered).toBeLessThan(WATER_MARKS.message + MAX_FRAME_BYTES);
    expect(outbox.queuedBytes).toBe(4 * 1024 * 1024 - sent);
    out.buffered = 0; // drained
    while (!outbox.flush(out)) out.buffered = 0;
    expect(sent).toBe(4 * 1024 * 1024);
    expect(outbox.length).toBe(0);
  });

  it('copies bytes handed to it, so the caller may reuse its buffer', () => {
    const buffer = new Uint8Array([1, 2, 3]);
    const { bytes } = toBytes(buffer);
    buffer[0] = 9;
    expect([...bytes]).toEqual([1, 2, 3]);
    expect(toBytes(buffer.buffer).bytes).toEqual(new Uint8Array([9, 2, 3]));
  });
});
