import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Room, TransportKind } from '../../sdk/index.js';
import {
  meshDirect,
  recordingWrtc,
  recordMessages,
  useRooms,
  waitUntil,
} from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Every transport a room reports for its peers, in order. */
function recordTransports(room: Room): TransportKind[] {
  const seen: TransportKind[] = [];
  room.on('transport-change', (_peer, transport) => seen.push(transport));
  return seen;
}

describe('switching between direct and the relay (Node)', () => {
  const { start } = useSignaling();
  const { join } = useRooms();

  it('moves a stream of messages to the relay when the direct link is cut, and back: no loss, duplicate or reordering', async () => {
    const server = await start();
    const wrtc = recordingWrtc();
    const options = { relayFallbackMs: 400, directRetryMs: 1500, iceRestartTimeoutMs: 1500 };
    const a = await join(server.url, { ...options, wrtc });
    const b = await join(server.url, options);
    await waitUntil(() => meshDirect([a, b]), 'connected directly');
    await waitUntil(() => a.peer(b.selfId)?.transport === 'direct', 'a reports direct');
    const transportsAtA = recordTransports(a);
    const atB = recordMessages(b);
    const toB = a.peer(b.selfId);
    let sent = 0;
    // A steady stream, 20 messages every 10 ms, some of them several frames long.
    const pump = setInterval(() => {
      for (let i = 0; i < 20; i += 1) {
        sent += 1;
        toB?.send(sent % 50 === 0 ? `${sent} ${'x'.repeat(150_000)}` : `${sent}`);
      }
    }, 10);
    try {
      await waitUntil(() => atB.length > 200, 'messages flow directly');
      // Cut the direct path under the stream: the relay takes over.
      for (const pc of wrtc.connections) pc.close();
      await waitUntil(() => toB?.transport === 'relay', 'a moved to the relay', 8000);
      const onRelay = atB.length;
      await waitUntil(() => atB.length > onRelay + 200, 'messages flow over the relay', 8000);
      // A fresh RTCPeerConnection (directRetryMs) brings it back.
      await waitUntil(() => toB?.transport === 'direct', 'a moved back to direct', 15_000);
    } finally {
      clearInterval(pump);
    }
    await waitUntil(() => atB.length === sent, `all ${sent} messages arrived`, 10_000);
    const numbers = atB.map((m) => Number.parseInt(String(m.data), 10));
    expect(numbers).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
    expect(transportsAtA).toEqual(['relay', 'direct']);
    expect(toB?.state).toBe('connected');
  }, 40_000);

  it('a file transfer started direct survives the cut and completes over the relay', async () => {
    const server = await start();
    const wrtc = recordingWrtc();
    const options = { relayFallbackMs: 400, directRetryMs: 60_000, iceRestartTimeoutMs: 1500 };
    const a = await join(server.url, { ...options, wrtc });
    const b = await join(server.url, options);
    await waitUntil(() => meshDirect([a, b]), 'connected directly');
    const file = randomBytes(24 * MiB);
    const received = new Promise<Blob>((resolve, reject) => {
      b.on('incoming-file', (incoming) => incoming.accept().done.then(resolve, reject));
    });
    const transfer = a.peer(b.selfId)?.sendFile(new Blob([file]), { name: 'big.bin' });
    await waitUntil(
      () => (transfer?.progress.bytesConfirmed ?? 0) > 2 * MiB,
      'part confirmed directly',
      10_000,
    );
    expect(transfer?.progress.bytesConfirmed).toBeLessThan(file.byteLength);
    // Cut a direct link, not one a stall moved to the relay for a moment.
    const toB = () => a.peer(b.selfId)?.transport;
    await waitUntil(() => toB() === 'direct', 'direct again before the cut', 10_000);
    const cutAt = Date.now();
    for (const pc of wrtc.connections) pc.close();
    await waitUntil(() => toB() === 'relay', 'on the relay after the cut', 8000);
    console.log(`on the relay ${Date.now() - cutAt} ms after the cut`);
    await transfer?.done;
    const blob = await received;
    expect(sha256(new Uint8Array(await blob.arrayBuffer()))).toBe(sha256(file));
  }, 40_000);
});
