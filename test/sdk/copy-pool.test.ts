import { describe, expect, it } from 'vitest';
import { CopyPool, copyPool, MAX_IDLE_BYTES, MIN_POOLED_BYTES } from '../../sdk/link/copy-pool.js';
import { type FrameSink, Outbox, toBytes } from '../../sdk/link/message-stream.js';

const KiB = 1024;
const filled = (size: number, value: number) => new Uint8Array(size).fill(value);

describe('CopyPool', () => {
  it('copies; a released buffer is written over by the next copy of its size class', () => {
    const pool = new CopyPool();
    const first = pool.copy(filled(100 * KiB, 1));
    expect(first.byteLength).toBe(100 * KiB);
    expect(first.buffer.byteLength).toBe(128 * KiB); // the power of two at least as large
    expect(first.every((b) => b === 1)).toBe(true);
    pool.release(first);
    expect(pool.idleBytes).toBe(128 * KiB);
    const second = pool.copy(filled(120 * KiB, 2));
    expect(second.buffer).toBe(first.buffer);
    expect(pool.idleBytes).toBe(0);
    expect(second.byteLength).toBe(120 * KiB);
    expect(second.every((b) => b === 2)).toBe(true);
    // Another size class gets a buffer of its own.
    expect(pool.copy(filled(300 * KiB, 3)).buffer).not.toBe(first.buffer);
  });

  it('makes small copies fresh and takes back only what it lent, once', () => {
    const pool = new CopyPool();
    const small = pool.copy(filled(MIN_POOLED_BYTES - 1, 7));
    pool.release(small);
    expect(pool.idleBytes).toBe(0);
    pool.release(filled(128 * KiB, 0)); // not the pool's
    expect(pool.idleBytes).toBe(0);
    const lent = pool.copy(filled(128 * KiB, 1));
    pool.release(lent);
    pool.release(lent); // twice: two later copies must never share one buffer
    expect(pool.idleBytes).toBe(128 * KiB);
    const a = pool.copy(filled(128 * KiB, 2));
    const b = pool.copy(filled(128 * KiB, 3));
    expect(a.buffer).not.toBe(b.buffer);
    expect(a.every((x) => x === 2)).toBe(true);
  });

  it(`keeps at most ${MAX_IDLE_BYTES / KiB / KiB} MiB idle`, () => {
    const pool = new CopyPool();
    const copies = Array.from({ length: 20 }, () => pool.copy(filled(1024 * KiB, 1)));
    for (const copy of copies) pool.release(copy);
    expect(pool.idleBytes).toBe(MAX_IDLE_BYTES);
  });
});

describe('the outbox gives copies back', () => {
  const sink: FrameSink = { bufferedAmount: 0, send: () => {} };

  it('once acknowledged (a message to one peer), never for a broadcast', () => {
    const outbox = new Outbox(true);
    const idle = copyPool.idleBytes;
    const one = toBytes(filled(256 * KiB, 1));
    const shared = toBytes(filled(256 * KiB, 2));
    outbox.push(false, one.bytes); // seq 1
    outbox.push(false, shared.bytes, true); // seq 2, a broadcast
    outbox.flush(sink);
    expect(copyPool.idleBytes).toBe(idle); // sent, not yet confirmed: kept
    outbox.ack(2);
    expect(copyPool.idleBytes).toBe(idle + 256 * KiB);
    expect(toBytes(filled(256 * KiB, 3)).bytes.buffer).toBe(one.bytes.buffer);
  });

  it('when it drops its messages (the link failed or closed)', () => {
    const outbox = new Outbox(true);
    const idle = copyPool.idleBytes;
    outbox.push(false, toBytes(filled(512 * KiB, 1)).bytes);
    outbox.push(false, toBytes(filled(512 * KiB, 2)).bytes);
    outbox.flush({ bufferedAmount: 0, send: () => {}, maxFrameBytes: 64 * KiB });
    expect(outbox.clear()).toBe(2);
    expect(copyPool.idleBytes).toBe(idle + 1024 * KiB);
  });
});
