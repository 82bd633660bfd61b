/**
 * One large file transfer between two Node peers, in a process of its own (started by
 * `runBigTransfer()` with `--expose-gc`), so that its memory is measured without the test
 * runner's: a signaling server, two rooms, `size` bytes of the test pattern sent from a
 * stream into a sink that only hashes. Reports to the parent over IPC and exits.
 */
import wrtc from '@roamhq/wrtc';
import { WebSocket } from 'ws';
import { joinRoom } from '../../sdk/index.js';
import { createSignalingServer } from '../../signaling/server.js';
import type { BigTransferReport } from './big-transfer.js';
import { hashingSink, patternChunks } from './files.js';

const size = Number(process.env.PEERLANE_TEST_SIZE);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc || !Number.isSafeInteger(size)) throw new Error('needs --expose-gc and PEERLANE_TEST_SIZE');

/** Heap plus ArrayBuffer memory (chunks live there), after a full GC. */
function retained(): { heap: number; arrayBuffers: number } {
  gc?.();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heap: heapUsed, arrayBuffers };
}

const server = await createSignalingServer({ port: 0, host: '127.0.0.1' });
const options = { url: server.url, room: 'big', wrtc, WebSocket };
const a = await joinRoom(options);
const b = await joinRoom(options);
const deadline = Date.now() + 10_000;
while (a.peer(b.selfId)?.state !== 'connected' || b.peer(a.selfId)?.state !== 'connected') {
  if (Date.now() > deadline) throw new Error('the peers did not connect within 10 s');
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const sink = hashingSink();
b.on('incoming-file', (incoming) => {
  incoming.accept({ writable: sink.writable });
});
const before = retained();
let peakHeap = 0;
let peakArrayBuffers = 0;
let peakRawHeap = 0;
// A full GC every 500 ms measures what the transfer holds, not garbage not yet collected;
// the raw heap between them is recorded too.
const rawSampler = setInterval(() => {
  peakRawHeap = Math.max(peakRawHeap, process.memoryUsage().heapUsed - before.heap);
}, 50);
const sampler = setInterval(() => {
  const now = retained();
  peakHeap = Math.max(peakHeap, now.heap - before.heap);
  peakArrayBuffers = Math.max(peakArrayBuffers, now.arrayBuffers - before.arrayBuffers);
}, 500);
const started = Date.now();
const peer = a.peer(b.selfId);
if (!peer) throw new Error('no peer');
await peer.sendFile(patternChunks(size, 42), { name: 'big.bin', size }).done;
const seconds = (Date.now() - started) / 1000;
clearInterval(sampler);
clearInterval(rawSampler);
const after = retained();
const report: BigTransferReport = {
  bytes: sink.result.bytes,
  sha256: sink.result.sha256,
  seconds,
  peakHeapGrowth: peakHeap,
  peakArrayBufferGrowth: peakArrayBuffers,
  peakRawHeapGrowth: peakRawHeap,
  heapGrowthAfter: after.heap - before.heap,
};
await Promise.all([a.leave(), b.leave()]);
await server.close();
process.send?.(report, () => process.exit(0));
