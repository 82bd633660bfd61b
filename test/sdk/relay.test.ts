import { createHash, randomBytes } from 'node:crypto';
import wrtc from '@roamhq/wrtc';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { joinRoom, type MessageData, type Room } from '../../sdk/index.js';
import {
  fileUnderWay,
  meshConnected,
  nextEvent,
  recordMessages,
  useRooms,
  waitUntil,
} from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';

const MiB = 1024 * 1024;

/** `count` numbered messages of mixed kinds and sizes, the same on both sides of a test. */
function numbered(count: number): MessageData[] {
  return Array.from({ length: count }, (_, i) =>
    i % 3 === 0 ? new Uint8Array(70_000 + i).fill(i % 251) : `message ${i}`,
  );
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** A message as a short comparable string (deep-comparing megabytes is slow). */
const digest = (data: MessageData) => (typeof data === 'string' ? data : `bytes ${sha256(data)}`);

describe('SDK over the WebSocket relay (Node)', () => {
  const { start } = useSignaling();
  const { join } = useRooms();

  it("transport: 'relay' connects without WebRTC and carries messages both ways, in order", async () => {
    const server = await start();
    const rooms: Room[] = [];
    // No wrtc at all: a relay-only room makes no RTCPeerConnection.
    for (let i = 0; i < 2; i += 1) {
      rooms.push(await joinRoom({ url: server.url, room: 'r', WebSocket, transport: 'relay' }));
    }
    const [a, b] = rooms as [Room, Room];
    try {
      await waitUntil(() => meshConnected([a, b]), 'a and b are connected');
      expect(a.peer(b.selfId)?.transport).toBe('relay');
      expect(b.peer(a.selfId)?.transport).toBe('relay');
      const atA = recordMessages(a);
      const atB = recordMessages(b);
      const sent = numbered(60);
      for (const message of sent) a.peer(b.selfId)?.send(message);
      const big = randomBytes(3 * MiB); // cut into frames, each cut into relay pieces
      b.peer(a.selfId)?.send(big);
      await waitUntil(() => atB.length === sent.length && atA.length === 1, 'all arrived', 10_000);
      expect(atB.map((m) => digest(m.data))).toEqual(sent.map(digest));
      expect(Buffer.from(atA[0]?.data as Uint8Array).equals(big)).toBe(true);
    } finally {
      await Promise.all(rooms.map((room) => room.leave()));
    }
  });

  it('reports the transport with an event, and relays a file with a matching hash', async () => {
    const server = await start();
    const a = await join(server.url, { transport: 'relay' });
    const changed = nextEvent(a, 'transport-change');
    const b = await join(server.url, { transport: 'relay' });
    const [peer, transport] = await changed;
    expect([peer.id, transport]).toEqual([b.selfId, 'relay']);
    const file = randomBytes(5 * MiB + 123);
    const received = new Promise<Blob>((resolve, reject) => {
      b.on('incoming-file', (incoming) => {
        expect(incoming.name).toBe('f.bin');
        incoming.accept().done.then(resolve, reject);
      });
    });
    await waitUntil(() => meshConnected([a, b]), 'connected');
    const transfer = a.peer(b.selfId)?.sendFile(new Blob([file]), { name: 'f.bin' });
    await transfer?.done;
    const blob = await received;
    expect(sha256(new Uint8Array(await blob.arrayBuffer()))).toBe(sha256(file));
  });

  it("a peer with transport 'relay' and one with 'auto' meet on the relay", async () => {
    const server = await start();
    const a = await join(server.url, { transport: 'relay' });
    const b = await join(server.url, { relayFallbackMs: 300 });
    await waitUntil(() => meshConnected([a, b]), 'connected', 5000);
    expect(b.peer(a.selfId)?.transport).toBe('relay');
    const atA = recordMessages(a);
    b.peer(a.selfId)?.send('over the relay');
    await waitUntil(() => atA.length === 1, 'a got it');
    expect(atA[0]?.data).toBe('over the relay');
  });

  it('falls back to the relay when no direct path exists (ICE relay-only, no TURN)', async () => {
    const server = await start();
    const options = { iceTransportPolicy: 'relay' as const, relayFallbackMs: 500 };
    const started = Date.now();
    const a = await join(server.url, options);
    const b = await join(server.url, options);
    const atB = recordMessages(b);
    // Sent before any path exists: queued, then carried by the relay.
    a.peer(b.selfId)?.send('queued early');
    await waitUntil(() => atB.length === 1, 'b got the early message', 5000);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(atB[0]?.data).toBe('queued early');
    expect(a.peer(b.selfId)?.transport).toBe('relay');
    expect(a.peer(b.selfId)?.state).toBe('connected');
  });

  it('carries a file sent right after joining when no direct path exists (both sides read where it is written)', async () => {
    const server = await start();
    const options = { iceTransportPolicy: 'relay' as const, relayFallbackMs: 1000 };
    const a = await join(server.url, options);
    const b = await join(server.url, options);
    const file = randomBytes(3 * MiB);
    const received = new Promise<Blob>((resolve, reject) => {
      b.on('incoming-file', (incoming) => incoming.accept().done.then(resolve, reject));
    });
    await waitUntil(() => a.peer(b.selfId) !== undefined, 'a sees b');
    await a.peer(b.selfId)?.sendFile(new Blob([file]), { name: 'early.bin' }).done;
    const blob = await received;
    expect(sha256(new Uint8Array(await blob.arrayBuffer()))).toBe(sha256(file));
    expect(a.peer(b.selfId)?.media).toMatchObject({ state: 'connecting' });
  });

  it('keeps a relay-less server as before: PEER_UNREACHABLE in relay mode', async () => {
    const server = await start({ relay: false });
    const a = await join(server.url, { transport: 'relay' });
    const failed = nextEvent(a, 'error', (error) => error.code === 'PEER_UNREACHABLE');
    await join(server.url, { transport: 'relay' });
    const [error] = await failed;
    expect(error.message).toContain('does not relay');
  });

  it.each([
    ['', {}],
    [' with e2ee', { e2ee: { secret: 'a secret for the restart test' } }],
  ])(
    'finishes a relayed file across a restart of the signaling server%s: what was in flight, grants included, is lost',
    async (_, sealing) => {
      const first = await start();
      const options = {
        transport: 'relay' as const,
        reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
        ...sealing,
      };
      const a = await join(first.url, options);
      const b = await join(first.url, options);
      await waitUntil(() => meshConnected([a, b]), 'a and b are connected over the relay');
      const codes: string[] = [];
      for (const room of [a, b]) room.on('error', (error) => codes.push(error.code));
      const transfer = await fileUnderWay(a, b, 'restarted');
      // A window of pieces and the grants for them are on their way when the server goes.
      await first.close();
      const second = await start({ port: first.port });
      await waitUntil(() => second.stats().peers === 2, 'both are back on the new server');
      const [arrived, sent] = await transfer.hashes();
      expect(arrived).toBe(sent);
      // Messages go on too, both ways.
      const [atA, atB] = [recordMessages(a), recordMessages(b)];
      a.peer(b.selfId)?.send('after the restart');
      b.peer(a.selfId)?.send('and back');
      await waitUntil(() => atA.length === 1 && atB.length === 1, 'a message each way');
      // Credit started again with the new session on both sides, before anything was sent
      // on it: the server never had to refuse a frame for want of credit.
      expect(codes).not.toContain('RELAY_NO_CREDIT');
    },
    60_000,
  );

  /** A WebRTC whose RTCPeerConnection refuses to be made, as a browser refuses a configuration. */
  const refusing = {
    ...wrtc,
    RTCPeerConnection: class {
      constructor() {
        throw new DOMException('this ICE configuration is refused', 'SyntaxError');
      }
    },
  } as unknown as typeof wrtc;

  it('carries a peer whose RTCPeerConnection cannot be made over the relay, and says why (NO_WEBRTC)', async () => {
    const server = await start();
    const a = await join(server.url, { wrtc: refusing, relayFallbackMs: 200, directRetryMs: 300 });
    const refused = nextEvent(a, 'error', (error) => error.code === 'NO_WEBRTC');
    const b = await join(server.url, { relayFallbackMs: 200, directRetryMs: 300 });
    const [error] = await refused;
    expect(error.peerId).toBe(b.selfId);
    expect(error.message).toContain('this ICE configuration is refused');
    expect((error.cause as DOMException).name).toBe('SyntaxError');
    await waitUntil(() => meshConnected([a, b]), 'a and b are connected over the relay');
    expect(a.peer(b.selfId)?.transport).toBe('relay');
    expect(b.peer(a.selfId)?.transport).toBe('relay');
    const atB = recordMessages(b);
    const errors: string[] = [];
    a.on('error', (later) => errors.push(`${later.code} ${later.message}`));
    a.peer(b.selfId)?.send('relayed all the same');
    await waitUntil(() => atB.length === 1, 'the message arrived');
    const file = randomBytes(MiB + 3);
    b.on('incoming-file', (incoming) => incoming.accept());
    await a.peer(b.selfId)?.sendFile(new Blob([file])).done;
    // No direct route is tried again (each try would fail the same way): no second error.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(errors).toEqual([]);
  });

  it('fails a peer whose RTCPeerConnection cannot be made when the server does not relay: NO_WEBRTC', async () => {
    const server = await start({ relay: false });
    const a = await join(server.url, { wrtc: refusing });
    const refused = nextEvent(a, 'error', (error) => error.code === 'NO_WEBRTC');
    const b = await join(server.url, { peerConnectTimeoutMs: 1000 });
    const [error] = await refused;
    expect(error.peerId).toBe(b.selfId);
    expect(a.peer(b.selfId)?.state).toBe('failed');
    // The other side gives up on its direct attempt as on any peer that never answers.
    await nextEvent(b, 'error', (error) => error.code === 'PEER_UNREACHABLE');
    expect(b.peer(a.selfId)?.state).toBe('failed');
  });

  it('hashes match for a large message over the relay', async () => {
    const server = await start();
    const a = await join(server.url, { transport: 'relay' });
    const b = await join(server.url, { transport: 'relay' });
    await waitUntil(() => meshConnected([a, b]), 'connected');
    const data = randomBytes(8 * MiB);
    const got = nextEvent(b, 'message', () => true, 20_000);
    a.peer(b.selfId)?.send(data);
    const [received] = await got;
    expect(sha256(received as Uint8Array)).toBe(sha256(data));
  });
});
