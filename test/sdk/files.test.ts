import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { Writable } from 'node:stream';
import wrtc from '@roamhq/wrtc';
import { describe, expect, it } from 'vitest';
import type {
  FileTransfer,
  IncomingFile,
  PeerlaneError,
  Room,
  WebRtcImplementation,
} from '../../sdk/index.js';
import { MAX_REASON_CHARS } from '../../sdk/transfer/transfer-protocol.js';
import { corruptingPeerConnection } from '../e2e/pages/corrupt-chunk.js';
import { patternBytes } from '../e2e/pages/pattern.js';
import {
  hashingSink,
  patternChunks,
  patternSha256,
  patternStream,
  sha256Hex,
} from '../helpers/files.js';
import {
  controlledWebSocket,
  meshDirect,
  nextEvent,
  recordingWrtc,
  recordMessages,
  useRooms,
  waitUntil,
} from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';

const MiB = 1024 * 1024;

/** The error `promise` rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<PeerlaneError> {
  try {
    await promise;
  } catch (error) {
    return error as PeerlaneError;
  }
  throw new Error('expected a rejection');
}

/** The next incoming file at `room`. */
async function nextIncoming(room: Room, timeoutMs = 5000): Promise<IncomingFile> {
  const [incoming] = await nextEvent(room, 'incoming-file', () => true, timeoutMs);
  return incoming;
}

/** Resolves once `transfer` has moved at least `bytes`. */
function progressed(transfer: FileTransfer<unknown>, bytes: number): Promise<void> {
  return waitUntil(
    () => transfer.progress.bytesTransferred >= bytes,
    `${bytes} bytes were transferred`,
    10_000,
  );
}

describe('file transfer between Node peers', () => {
  const { start } = useSignaling();
  const { join } = useRooms();

  async function pair(options: Parameters<typeof join>[1] = {}) {
    const server = await start();
    const a = await join(server.url, options);
    const b = await join(server.url, options);
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected');
    const toB = a.peer(b.selfId);
    const toA = b.peer(a.selfId);
    if (!toB || !toA) throw new Error('peers missing');
    return { server, a, b, toB, toA };
  }

  it('sends 0 B, 1 B and odd sizes from a Blob into a Blob, byte-exact, with name, type and progress', async () => {
    const { a, b, toB } = await pair();
    for (const [index, size] of [0, 1, 65_523, 65_524, 1_000_003].entries()) {
      const bytes = patternBytes(size, index + 1);
      const incoming = nextIncoming(b);
      const sending = toB.sendFile(new Blob([bytes], { type: 'application/x-test' }), {
        name: `file-${size}.bin`,
      });
      const progress: number[] = [];
      sending.on('progress', (p) => progress.push(p.bytesConfirmed));
      const offer = await incoming;
      expect([offer.name, offer.size, offer.type, offer.from.id]).toEqual([
        `file-${size}.bin`,
        size,
        'application/x-test',
        a.selfId,
      ]);
      const receiving = offer.accept();
      const [blob] = await Promise.all([receiving.done, sending.done]);
      expect(blob.size).toBe(size);
      expect(blob.type).toBe('application/x-test');
      expect(sha256Hex(new Uint8Array(await blob.arrayBuffer()))).toBe(sha256Hex(bytes));
      expect([sending.state, receiving.state]).toEqual(['complete', 'complete']);
      expect(sending.progress).toMatchObject({
        bytesTransferred: size,
        bytesConfirmed: size,
        size,
      });
      expect(receiving.progress).toMatchObject({ bytesConfirmed: size, etaMs: 0 });
      expect(progress.at(-1)).toBe(size);
    }
  });

  it('sends 64 MiB from a Node path into a Node file stream, SHA-256 equal', async () => {
    const { b, toB } = await pair();
    const dir = await mkdtemp(joinPath(tmpdir(), 'peerlane-files-'));
    try {
      const from = joinPath(dir, 'from.bin');
      const to = joinPath(dir, 'to.bin');
      const bytes = patternBytes(64 * MiB, 9);
      await writeFile(from, bytes);
      const incoming = nextIncoming(b);
      const sending = toB.sendFile(from);
      const offer = await incoming;
      expect([offer.name, offer.size]).toEqual(['from.bin', 64 * MiB]);
      const receiving = offer.accept({ writable: Writable.toWeb(createWriteStream(to)) });
      await Promise.all([receiving.done, sending.done]);
      const received = createReadStream(to);
      const hash = (await import('node:crypto')).createHash('sha256');
      for await (const chunk of received) hash.update(chunk as Buffer);
      expect(hash.digest('hex')).toBe(sha256Hex(bytes));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('sends a stream of unknown size and an async iterable, and several files at once while chat flows', async () => {
    const { a, b, toB } = await pair();
    const atB = recordMessages(b);
    const offers: IncomingFile[] = [];
    b.on('incoming-file', (incoming) => offers.push(incoming));
    const size = 8 * MiB;
    const sending = [
      toB.sendFile(patternStream(size, 1), { name: 'one' }),
      toB.sendFile(patternChunks(size, 2), { name: 'two', size }),
      toB.sendFile(new Blob([patternBytes(size, 3)]), { name: 'three' }),
    ];
    await waitUntil(() => offers.length === 3, 'three offers arrived');
    expect(offers.map((o) => [o.name, o.size])).toEqual([
      ['one', undefined],
      ['two', size],
      ['three', size],
    ]);
    // All three start together: from here on they share the lane.
    const sinks = offers.map(() => hashingSink());
    const accepted = offers.map((offer, i) =>
      offer.accept({ writable: sinks[i]?.writable as WritableStream }),
    );
    let othersAtFirst: number[] | undefined;
    for (const transfer of sending) {
      transfer.done.then(
        () => {
          othersAtFirst ??= sending.map((t) => t.progress.bytesTransferred);
        },
        () => {},
      );
    }
    await progressed(sending[0] as FileTransfer, size / 4);
    a.peer(b.selfId)?.send('while the files flow');
    await waitUntil(() => atB.length === 1, 'the chat message arrived', 10_000);
    // Chat has its own lane: it arrived before any file was complete.
    expect(othersAtFirst).toBeUndefined();
    await Promise.all([...sending.map((t) => t.done), ...accepted.map((t) => t.done)]);
    // They overlapped: when the first was complete, the others were under way too (how
    // evenly the lane is shared is checked on the wire in transfer-protocol.test.ts).
    for (const sent of othersAtFirst ?? []) expect(sent).toBeGreaterThan(0);
    expect(sinks.map((s) => s.result.bytes)).toEqual([size, size, size]);
    const expected = await Promise.all([1, 2, 3].map((seed) => patternSha256(size, seed)));
    expect(sinks.map((s) => s.result.sha256)).toEqual(expected);
    expect(accepted[0]?.size).toBe(size); // a stream without size: known at the end
  }, 60_000);

  it('cancels from the sender and from the receiver, both sides with TRANSFER_CANCELLED', async () => {
    const { b, toB } = await pair();
    for (const side of ['sender', 'receiver'] as const) {
      const sink = hashingSink();
      const incoming = nextIncoming(b);
      const sending = toB.sendFile(patternStream(64 * MiB, 5), { name: side });
      const receiving = (await incoming).accept({ writable: sink.writable });
      await progressed(receiving, 2 * MiB);
      (side === 'sender' ? sending : receiving).cancel('changed my mind');
      const [atSender, atReceiver] = await Promise.all([
        rejection(sending.done),
        rejection(receiving.done),
      ]);
      expect([atSender.code, atReceiver.code]).toEqual([
        'TRANSFER_CANCELLED',
        'TRANSFER_CANCELLED',
      ]);
      expect(side === 'sender' ? atReceiver.message : atSender.message).toContain(
        'changed my mind',
      );
      await waitUntil(() => sink.result.aborted !== undefined, 'the writable was aborted');
      expect(sink.result.closed).toBe(false);
      expect([sending.state, receiving.state]).toEqual(['failed', 'failed']);
    }
  }, 30_000);

  it('reports a rejected file, and rejects offers when nobody listens', async () => {
    const { b, toB } = await pair();
    const incoming = nextIncoming(b);
    const rejected = toB.sendFile(new Blob(['x']), { name: 'unwanted' });
    (await incoming).reject('no thanks');
    const error = await rejection(rejected.done);
    expect(error.code).toBe('TRANSFER_REJECTED');
    expect(error.message).toContain('no thanks');
    const unheard = toB.sendFile(new Blob(['y']));
    expect((await rejection(unheard.done)).code).toBe('TRANSFER_REJECTED');
  });

  it('fails transfers both ways with PEER_LEFT when the peer leaves mid-transfer', async () => {
    const { a, b, toB } = await pair();
    const incoming = nextIncoming(b);
    const sending = toB.sendFile(patternStream(64 * MiB, 6), { name: 'big' });
    const receiving = (await incoming).accept({ writable: hashingSink().writable });
    await progressed(receiving, 2 * MiB);
    await b.leave();
    expect((await rejection(sending.done)).code).toBe('PEER_LEFT');
    expect((await rejection(receiving.done)).code).toBe('LEFT_ROOM');
    expect(() => toB.sendFile(new Blob(['late']))).toThrow(
      expect.objectContaining({ code: 'PEER_LEFT' }),
    );
    expect(a.peers).toEqual([]);
  });

  it('fails with SOURCE_UNREADABLE on both sides for a broken source', async () => {
    const { b, toB } = await pair();
    b.on('incoming-file', (incoming) => {
      incoming.accept({ writable: hashingSink().writable });
    });
    async function* broken() {
      yield new Uint8Array(100_000);
      throw new Error('disk on fire');
    }
    const transfers = [
      toB.sendFile(broken(), { name: 'broken' }),
      toB.sendFile('/nonexistent/peerlane-test-file'),
      toB.sendFile(patternChunks(1000, 1), { size: 2000 }),
    ];
    const errors = await Promise.all(transfers.map((t) => rejection(t.done)));
    expect(errors.map((e) => e.code)).toEqual([
      'SOURCE_UNREADABLE',
      'SOURCE_UNREADABLE',
      'SOURCE_UNREADABLE',
    ]);
    expect(errors[0]?.message).toContain('disk on fire');
    expect(errors[2]?.message).toContain('ended after 1000 of its 2000 bytes');
    expect(() => toB.sendFile(42 as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('sends a long reject or cancel reason cut to what the protocol takes; a reason that is no string is refused', async () => {
    const { b, toB } = await pair();
    const incoming = nextIncoming(b);
    const sending = toB.sendFile(new Blob(['declined']), { name: 'declined' });
    const offer = await incoming;
    expect(() => offer.reject({ why: 'no' } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    // 2,000 characters: whole, the peer would refuse the frame and never learn of the end.
    offer.reject('n'.repeat(2000));
    const rejected = await rejection(sending.done);
    expect(rejected.code).toBe('TRANSFER_REJECTED');
    expect(rejected.message).toContain(`${'n'.repeat(MAX_REASON_CHARS - 1)}…`);
    expect(rejected.message).not.toContain('n'.repeat(MAX_REASON_CHARS));

    const nextOffer = nextIncoming(b);
    const cancelled = toB.sendFile(patternChunks(10 * MiB, 2), { name: 'cancelled' });
    const receiving = (await nextOffer).accept({ writable: hashingSink().writable });
    expect(() => cancelled.cancel(42 as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    cancelled.cancel(`stopped: ${'c'.repeat(5000)}`);
    const atReceiver = await rejection(receiving.done);
    expect(atReceiver.code).toBe('TRANSFER_CANCELLED');
    expect(atReceiver.message).toContain(`stopped: ${'c'.repeat(100)}`);
    expect((await rejection(cancelled.done)).code).toBe('TRANSFER_CANCELLED');
  });

  it('detects a chunk corrupted after hashing: INTEGRITY_FAILED on both sides, the sink aborted', async () => {
    // The sender’s data channels flip a bit of the byte at this offset, after hashing.
    const target = { offset: 3 * 65_523 };
    const base = wrtc.RTCPeerConnection as typeof RTCPeerConnection;
    const RTCPeerConnection = corruptingPeerConnection(base, target);
    const { b, toB } = await pair({
      wrtc: { ...(wrtc as WebRtcImplementation), RTCPeerConnection },
    });
    const sink = hashingSink();
    const incoming = nextIncoming(b);
    const sending = toB.sendFile(new Blob([patternBytes(MiB, 4)]), { name: 'x' });
    const receiving = (await incoming).accept({ writable: sink.writable });
    const [atSender, atReceiver] = await Promise.all([
      rejection(sending.done),
      rejection(receiving.done),
    ]);
    expect([atSender.code, atReceiver.code]).toEqual(['INTEGRITY_FAILED', 'INTEGRITY_FAILED']);
    expect(atReceiver.message).toContain("the file's digest does not match");
    expect(sink.result.closed).toBe(false);
    await waitUntil(() => sink.result.aborted !== undefined, 'the writable was aborted');
  });

  it('resumes from the confirmed offset when the link breaks and a new one is made', async () => {
    const server = await start({ relay: false }); // no relay to move to: a new link it is
    const sockets = [controlledWebSocket(), controlledWebSocket()] as const;
    const wrtcs = [recordingWrtc(), recordingWrtc()] as const;
    const rooms = [
      await join(server.url, { iceRestartTimeoutMs: 1000, ...sockets[0], wrtc: wrtcs[0] }),
      await join(server.url, { iceRestartTimeoutMs: 1000, ...sockets[1], wrtc: wrtcs[1] }),
    ] as const;
    await waitUntil(() => meshDirect([...rooms]), 'the pair is connected');
    // The peer with the smaller id makes the offers, and so the new link.
    const first = rooms[0].selfId < rooms[1].selfId ? 0 : 1;
    const [a, b] = [rooms[first], rooms[1 - first]] as [Room, Room];
    const sink = hashingSink();
    const incoming = nextIncoming(b);
    const size = 24 * MiB;
    const sending = a.peer(b.selfId)?.sendFile(patternStream(size, 11), { name: 'resumed', size });
    if (!sending) throw new Error('no peer');
    const receiving = (await incoming).accept({ writable: sink.writable });
    const states: string[] = [];
    sending.on('state', (state) => states.push(state));
    await progressed(receiving, 4 * MiB);

    // The connection dies for good: both links fail, chunks in flight are lost.
    wrtcs[first].connections[0]?.close();
    await waitUntil(
      () => a.peer(b.selfId)?.state === 'failed' && b.peer(a.selfId)?.state === 'failed',
      'both links failed',
      30_000,
    );
    const cut = receiving.progress.bytesTransferred;
    expect(cut).toBeLessThan(size);
    expect(states).toContain('paused');
    // The offerer's signaling reconnects; its welcome lists the peer, so the room makes a
    // new link (a new RTCPeerConnection), which the other side answers with one of its own.
    sockets[first].sockets[0]?.terminate();
    await Promise.all([sending.done, receiving.done]);
    expect(wrtcs.map((w) => w.connections.length)).toEqual([2, 2]);
    expect(sink.result.bytes).toBe(size);
    expect(sink.result.sha256).toBe(await patternSha256(size, 11));
    // Resumed, not restarted: the sender went back at most one window (4 MiB) before the cut.
    expect(states.at(-1)).toBe('complete');
  }, 90_000);

  it('moves to the relay when the direct connection dies, and completes there', async () => {
    const server = await start();
    const wrtcA = recordingWrtc();
    const options = { relayFallbackMs: 500, iceRestartTimeoutMs: 1000 };
    const a = await join(server.url, { ...options, wrtc: wrtcA });
    const b = await join(server.url, options);
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected');
    const transports: string[] = [];
    a.on('transport-change', (_peer, transport) => transports.push(transport));
    const sink = hashingSink();
    const incoming = nextIncoming(b);
    const size = 12 * MiB;
    const sending = a.peer(b.selfId)?.sendFile(patternChunks(size, 12), { name: 'moved', size });
    if (!sending) throw new Error('no peer');
    const receiving = (await incoming).accept({ writable: sink.writable });
    await progressed(receiving, 2 * MiB);
    wrtcA.connections[0]?.close();
    await Promise.all([sending.done, receiving.done]);
    expect(transports).toContain('relay');
    expect(sink.result.bytes).toBe(size);
    expect(sink.result.sha256).toBe(await patternSha256(size, 12));
  }, 60_000);
});
