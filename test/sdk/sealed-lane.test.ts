/**
 * A sealed relay lane over in-memory lanes (real WebCrypto, real timers: sealing is
 * asynchronous): frames arrive in order and open, sealed in batches when sent together; the bytes waiting to be sealed count as
 * buffered, and `drain` comes once everything is down to the low-water mark; replays and
 * frames under a retired key id are refused; a peer with another secret is a mismatch.
 */
import { describe, expect, it } from 'vitest';
import { RoomKeys, toBase64Url } from '../../sdk/e2ee/room-keys.js';
import { SEAL_OVERHEAD, sealFrame } from '../../sdk/e2ee/sealed-frame.js';
import { MAX_BATCH_BYTES } from '../../sdk/e2ee/sealed-lane.js';
import { sealRoute } from '../../sdk/e2ee/sealed-route.js';
import { WATER_MARKS } from '../../sdk/link/flow.js';
import type { Lane } from '../../sdk/link/lane.js';
import { type MemoryLane, memoryLanePair } from '../helpers/memory-lanes.js';

const SECRET = 'a room secret of enough length';

async function pair(secrets: [string, string] = [SECRET, SECRET]) {
  const [aMessage, bMessage] = memoryLanePair();
  const [aBulk, bBulk] = memoryLanePair();
  const problems = { a: [] as string[], b: [] as string[] };
  const keysA = await RoomKeys.derive(secrets[0], 'room');
  const keysB = await RoomKeys.derive(secrets[1], 'room');
  const report = (side: 'a' | 'b') => ({
    onMismatch: (reason: string) => problems[side].push(`mismatch: ${reason}`),
    onInvalid: (lane: string, reason: string) => problems[side].push(`invalid ${lane}: ${reason}`),
  });
  const a = sealRoute({ message: aMessage, bulk: aBulk }, keysA, 'alice', 'bob', report('a'));
  const b = sealRoute({ message: bMessage, bulk: bBulk }, keysB, 'bob', 'alice', report('b'));
  return { a, b, problems, wire: { aMessage, bMessage, aBulk, bBulk } };
}

const received = (lane: Lane) => {
  const frames: number[][] = [];
  lane.on('frame', (frame) => frames.push([...frame]));
  return frames;
};
const until = async (done: () => boolean) => {
  for (let i = 0; i < 500 && !done(); i += 1) await new Promise((r) => setTimeout(r, 2));
};

describe('SealedLane (WebCrypto, in-memory lanes)', () => {
  it('carries frames in order, and nothing on the wire is the plaintext', async () => {
    const { a, b, wire } = await pair();
    const got = received(b.message);
    for (let i = 0; i < 50; i += 1) a.message.send(new Uint8Array([i, i, i, i, i, i, i, i]));
    await until(() => got.length === 50);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => Array(8).fill(i)));
    const onWire = wire.aMessage.sent.map((frame) => [...frame.subarray(17, 25)]);
    expect(onWire.some((bytes) => bytes.every((x) => x === 7))).toBe(false);
  });

  it('seals frames sent together in batches (few AES-GCM calls); each arrives as it was sent', async () => {
    const { a, b, wire } = await pair();
    const got = received(b.bulk);
    const frames = Array.from({ length: 400 }, (_, i) => new Uint8Array(6_000).fill(i % 256));
    for (const frame of frames) a.bulk.send(frame);
    frames[0]?.fill(99); // the sender may reuse its buffer once send() returned
    await until(() => got.length === 400);
    expect(got.map((frame) => [frame.length, frame[0], frame[5_999]])).toEqual(
      frames.map((_, i) => [6_000, i % 256, i % 256]),
    );
    // 2.4 MB in batches of at most MAX_BATCH_BYTES (64 KiB), 10 frames each: 40 sealed frames, not 400.
    expect(wire.aBulk.sent.length).toBe(Math.ceil(400 / Math.floor(MAX_BATCH_BYTES / 6_004)));
    // A lone frame (chat) is sealed at once, alone.
    a.message.send(new Uint8Array([7]));
    await until(() => wire.aMessage.sent.length === 1);
    expect(wire.aMessage.sent[0]?.byteLength).toBe(1 + 4 + SEAL_OVERHEAD);
  });

  it('seals at most one frame of the lane under it at a time (one relay piece)', async () => {
    const { a, b, wire } = await pair();
    for (const lane of [wire.aBulk, wire.bBulk]) lane.maxFrameBytes = 20_000;
    expect(a.bulk.maxFrameBytes).toBe(20_000 - SEAL_OVERHEAD - 4);
    const got = received(b.bulk);
    for (let i = 0; i < 100; i += 1) a.bulk.send(new Uint8Array(1_000).fill(i));
    await until(() => got.length === 100);
    expect(got.map((frame) => frame[999])).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const sizes = wire.aBulk.sent.map((frame) => frame.byteLength);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(20_000);
    // 19 frames of 1,000 B (and their length prefixes) fill a sealed frame of 20,000 B.
    expect(sizes.length).toBe(Math.ceil(100 / Math.floor((20_000 - SEAL_OVERHEAD) / 1_004)));
  });

  it('fills its batch buffer again once sealed: bursts after the key is ready arrive intact', async () => {
    const { a, b } = await pair();
    const got = received(b.bulk);
    a.bulk.send(new Uint8Array([1]));
    await until(() => got.length === 1); // the sealing key is derived: batches seal at once
    for (let burst = 0; burst < 3; burst += 1) {
      for (let i = 0; i < 20; i += 1) a.bulk.send(new Uint8Array(60_000).fill(burst * 20 + i));
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await until(() => got.length === 61);
    const firstAndLast = got.slice(1).map((frame) => [frame.length, frame[0], frame[59_999]]);
    expect(firstAndLast).toEqual(Array.from({ length: 60 }, (_, i) => [60_000, i, i]));
  });

  it('refuses a sealed batch whose framing is malformed (only a secret holder could make one)', async () => {
    const { b, problems, wire } = await pair();
    const keys = await RoomKeys.derive(SECRET, 'room');
    const keyId = new Uint8Array(8).fill(5);
    const key = await keys.relayKey('alice', 'bob', 'message', toBase64Url(keyId));
    const got = received(b.message);
    wire.bMessage.inject(await sealFrame(key, keyId, 0, Uint8Array.of(0, 0, 0, 1, 42)));
    wire.bMessage.inject(await sealFrame(key, keyId, 1, Uint8Array.of(0, 0, 0, 9, 42)));
    await until(() => problems.b.length === 1);
    expect(got).toEqual([[42]]);
    expect(problems.b).toEqual(['invalid message: a sealed batch of frames is malformed']);
  });

  it('counts bytes waiting to be sealed as buffered, and says drain once all is low', async () => {
    const { a, wire } = await pair();
    wire.aBulk.paused = true; // the peer reads nothing yet
    const big = new Uint8Array(60_000);
    for (let i = 0; i < 50; i += 1) a.bulk.send(big);
    expect(a.bulk.bufferedAmount).toBeGreaterThanOrEqual(50 * 60_000);
    let drained = false;
    a.bulk.on('drain', () => {
      drained = true;
    });
    a.bulk.awaitDrain();
    await new Promise((r) => setTimeout(r, 200));
    expect(drained).toBe(false);
    (wire.aBulk as MemoryLane).resume();
    await until(() => drained);
    expect(drained).toBe(true);
    expect(a.bulk.bufferedAmount).toBeLessThanOrEqual(WATER_MARKS.laneLow);
  });

  it('drops a replayed or altered frame with INVALID_DATA and goes on', async () => {
    const { a, b, problems, wire } = await pair();
    const got = received(b.message);
    a.message.send(new Uint8Array([1]));
    await until(() => got.length === 1);
    const first = wire.aMessage.sent[0] as Uint8Array;
    wire.bMessage.inject(first); // the server replays it
    wire.aMessage.paused = true;
    a.message.send(new Uint8Array([2]));
    await until(() => wire.aMessage.sent.length === 2);
    const altered = (wire.aMessage.sent[1] as Uint8Array).slice();
    altered[altered.length - 1] = (altered[altered.length - 1] ?? 0) ^ 1;
    wire.bMessage.inject(altered); // the server flips a bit
    wire.aMessage.resume(); // then the genuine frame
    await until(() => got.length === 2);
    expect(got).toEqual([[1], [2]]);
    expect(problems.b).toEqual([
      'invalid message: a relayed frame repeats sequence number 0 (a replay)',
      'invalid message: a relayed frame did not open with this room secret',
    ]);
  });

  it('reports a mismatch when nothing from the peer ever opened (another secret)', async () => {
    const { a, b, problems } = await pair([SECRET, 'another secret of enough length']);
    const got = received(b.message);
    a.message.send(new Uint8Array([1]));
    await until(() => problems.b.length > 0);
    expect(got).toEqual([]);
    expect(problems.b).toEqual(['mismatch: a relayed frame did not open with this room secret']);
  });
});
