import wrtc from '@roamhq/wrtc';
import { describe, expect, it } from 'vitest';
import { PeerlaneError, type WebRtcImplementation } from '../../sdk/index.js';
import {
  meshDirect,
  nextEvent,
  recordingWrtc,
  recordMessages,
  useRooms,
  waitUntil,
} from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';

describe('mesh of Node peers', () => {
  const { start } = useSignaling();
  const { join } = useRooms();

  it('connects two peers and carries text and bytes both ways, types intact', async () => {
    const server = await start();
    const a = await join(server.url, { meta: { name: 'a' } });
    const b = await join(server.url, { meta: { name: 'b' } });
    expect(b.peers.map((p) => [p.id, p.meta])).toEqual([[a.selfId, { name: 'a' }]]);
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected');
    const atA = recordMessages(a);
    const atB = recordMessages(b);
    a.peer(b.selfId)?.send('hello b');
    a.peer(b.selfId)?.send(new Uint8Array([1, 2, 3]));
    b.peer(a.selfId)?.send('hello a');
    b.peer(a.selfId)?.send(new Uint8Array([4, 5]).buffer);
    await waitUntil(() => atA.length === 2 && atB.length === 2, 'both got two messages');
    expect(atB).toEqual([
      { data: 'hello b', from: a.selfId },
      { data: new Uint8Array([1, 2, 3]), from: a.selfId },
    ]);
    expect(atA).toEqual([
      { data: 'hello a', from: b.selfId },
      { data: new Uint8Array([4, 5]), from: b.selfId },
    ]);
    expect(typeof atB[0]?.data).toBe('string');
    expect(atB[1]?.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(atB[1]?.data)).toBe(false);
  });

  it('lets only the peer with the smaller id offer (no glare)', async () => {
    const server = await start();
    const wrtcA = recordingWrtc();
    const wrtcB = recordingWrtc();
    const a = await join(server.url, { wrtc: wrtcA });
    const b = await join(server.url, { wrtc: wrtcB });
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected');
    const [low, high] = a.selfId < b.selfId ? [wrtcA, wrtcB] : [wrtcB, wrtcA];
    expect(low.offers.length).toBe(1);
    expect(high.offers).toEqual([]);
    expect(wrtcA.connections.length).toBe(1);
    expect(wrtcB.connections.length).toBe(1);
  });

  it.each([
    ['on the relay while the direct connection is made', true],
    ['queued until the direct connection is up, with no relay on the server', false],
  ])('delivers messages sent at once after joining, in order: %s', async (_, relay) => {
    const server = await start({ relay });
    const a = await join(server.url);
    const atA = recordMessages(a);
    const joined = nextEvent(a, 'peer-joined');
    const b = await join(server.url);
    const atB = recordMessages(b);
    const aAtB = b.peer(a.selfId);
    // Right after the join nothing is up yet (the relay is taken in the next task).
    expect(aAtB?.state).toBe('connecting');
    aAtB?.send('early from b');
    aAtB?.send(new Uint8Array([7]));
    const [bAtA] = await joined;
    bAtA.send('early from a');
    if (!relay) expect(bAtA.bufferedAmount).toBe('early from a'.length);
    await waitUntil(() => atA.length === 2 && atB.length === 1, 'the early messages arrived');
    expect(atA.map((m) => m.data)).toEqual(['early from b', new Uint8Array([7])]);
    expect(atB.map((m) => m.data)).toEqual(['early from a']);
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected directly');
  });

  it('broadcasts to three peers and keeps each sender’s order', async () => {
    const server = await start();
    const rooms = [await join(server.url), await join(server.url), await join(server.url)];
    await waitUntil(() => meshDirect(rooms), 'all three are connected');
    const received = rooms.map(recordMessages);
    const count = 200;
    for (let i = 0; i < count; i++) {
      for (const room of rooms) {
        room.broadcast(i % 2 === 0 ? `${room.selfId}:${i}` : new Uint8Array([i % 256, 1]));
      }
    }
    await waitUntil(
      () => received.every((list) => list.length === 2 * count),
      'every peer got every broadcast',
      10_000,
    );
    for (const [index, room] of rooms.entries()) {
      for (const other of rooms) {
        if (other === room) continue;
        const fromOther = (received[index] ?? []).filter((m) => m.from === other.selfId);
        expect(fromOther.map((m) => m.data)).toEqual(
          Array.from({ length: count }, (_, i) =>
            i % 2 === 0 ? `${other.selfId}:${i}` : new Uint8Array([i % 256, 1]),
          ),
        );
      }
    }
  });

  it('sends a 10 MiB message and a 3 MB multi-byte string in 64 KiB frames', async () => {
    const server = await start();
    const a = await join(server.url);
    const b = await join(server.url);
    const atA = recordMessages(a);
    const big = new Uint8Array(10 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
    const text = 'ünïcødé 🚀 '.repeat(200_000);
    const toA = b.peer(a.selfId);
    toA?.send(big);
    toA?.send(text);
    toA?.send('after');
    expect(toA?.bufferedAmount).toBeGreaterThan(big.length);
    await waitUntil(() => atA.length === 3, 'a got all three messages', 15_000);
    const got = atA[0]?.data;
    expect(got).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(got as Uint8Array, big)).toBe(0); // toEqual walks 10 M elements slowly
    expect(atA[1]?.data).toBe(text);
    expect(atA[2]?.data).toBe('after');
    await waitUntil(() => toA?.bufferedAmount === 0, 'the send queue drained');
  });

  it('reports a leaving peer at once, and sending to it or after leave() throws', async () => {
    const server = await start();
    const a = await join(server.url);
    const b = await join(server.url);
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected');
    const bAtA = a.peer(b.selfId);
    const left = nextEvent(a, 'peer-left', undefined, 1000);
    const closed = nextEvent(b, 'signaling-state');
    await b.leave();
    const [peer, reason] = await left;
    expect(peer).toBe(bAtA);
    expect(reason).toBe('left');
    expect(peer.state).toBe('closed');
    expect(a.peers).toEqual([]);
    expect(await closed).toEqual(['closed']);
    expect(() => peer.send('x')).toThrow(expect.objectContaining({ code: 'PEER_LEFT' }));
    expect(() => b.broadcast('x')).toThrow(PeerlaneError);
    expect(() => b.broadcast('x')).toThrow(expect.objectContaining({ code: 'LEFT_ROOM' }));
    await b.leave(); // a second call resolves too
  });

  it('refuses what it cannot send, with a code', async () => {
    const server = await start();
    const a = await join(server.url);
    const b = await join(server.url, { maxMessageBytes: 1000 });
    const toA = b.peer(a.selfId);
    expect(toA).toBeDefined();
    expect(() => toA?.send(new Uint8Array(1001))).toThrow(
      expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }),
    );
    expect(() => b.broadcast(42 as unknown as string)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    // Bytes handed to a worker (transferred) are gone: not a TypeError, not an empty message.
    const gone = new ArrayBuffer(8);
    const view = new Uint8Array(gone);
    structuredClone(gone, { transfer: [gone] });
    for (const data of [gone, view]) {
      expect(() => toA?.send(data)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => b.broadcast(data)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });

  it('refuses arguments of the wrong kind to room and media methods at the call, with a code', async () => {
    const server = await start();
    const a = await join(server.url);
    const wrong: Array<[string, () => unknown]> = [
      ["on('message', 5)", () => a.on('message', 5 as never)],
      ['media.publish(5)', () => a.media.publish(5 as never)],
      ['media.publish()', () => (a.media.publish as () => void)()],
      ["media.setAudioEnabled('no')", () => a.media.setAudioEnabled('no' as never)],
      ['media.setVideoEnabled(0)', () => a.media.setVideoEnabled(0 as never)],
    ];
    for (const [call, run] of wrong) {
      expect(run, call).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(a.media.audioEnabled).toBe(true);
  });

  it('uses the welcome’s ICE servers unless given its own, never a public default', async () => {
    const welcomeServers = [
      { urls: 'turn:127.0.0.1:9?transport=udp', username: 'u', credential: 'c' },
    ];
    const server = await start({ iceServers: welcomeServers });
    const [fromWelcome, fromOptions] = [recordingWrtc(), recordingWrtc()];
    const a = await join(server.url, { wrtc: fromWelcome });
    const b = await join(server.url, { wrtc: fromOptions, iceServers: [] });
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected (host candidates)');
    expect(fromWelcome.connections[0]?.getConfiguration().iceServers).toEqual([
      expect.objectContaining(welcomeServers[0]),
    ]);
    expect(fromOptions.connections[0]?.getConfiguration().iceServers).toEqual([]);

    const bare = await start();
    const wrtc = recordingWrtc();
    await join(bare.url, { room: 'bare', wrtc });
    await join(bare.url, { room: 'bare' });
    await waitUntil(() => wrtc.connections.length === 1, 'a connection was made');
    expect(wrtc.connections[0]?.getConfiguration().iceServers).toEqual([]);
  });

  it('fails a peer it cannot reach within peerConnectTimeoutMs with PEER_UNREACHABLE', async () => {
    // Without the server's relay (with it, the relay takes over: test/sdk/relay.test.ts).
    const server = await start({ relay: false });
    // Relay only, and no TURN server at all: no candidate can ever be gathered.
    const options = { iceTransportPolicy: 'relay' as const, peerConnectTimeoutMs: 800 };
    const a = await join(server.url, options);
    const b = await join(server.url, options);
    const toA = b.peer(a.selfId);
    toA?.send('lost');
    const [error] = await nextEvent(b, 'error', undefined, 3000);
    expect(error.code).toBe('PEER_UNREACHABLE');
    expect(error.peerId).toBe(a.selfId);
    expect(error.message).toContain('could not connect within 800 ms');
    expect(error.message).toContain('1 queued message(s) were not sent');
    expect(toA?.state).toBe('failed');
  });

  it('connects both sides again when the side that offers retries a failed peer', async () => {
    // Each side's first RTCPeerConnection gathers no candidate (relay only, no TURN), so
    // both give up; the offering side tries again when the other shows up in presence.
    const firstFails = (): WebRtcImplementation => {
      let made = 0;
      class FirstFails extends wrtc.RTCPeerConnection {
        constructor(config?: RTCConfiguration) {
          made += 1;
          super(made === 1 ? { ...config, iceServers: [], iceTransportPolicy: 'relay' } : config);
        }
      }
      return { ...wrtc, RTCPeerConnection: FirstFails as typeof RTCPeerConnection };
    };
    const server = await start({ relay: false });
    const options = { peerConnectTimeoutMs: 800 };
    const a = await join(server.url, { ...options, wrtc: firstFails() });
    const b = await join(server.url, { ...options, wrtc: firstFails() });
    const failed = () =>
      a.peer(b.selfId)?.state === 'failed' && b.peer(a.selfId)?.state === 'failed';
    await waitUntil(failed, 'both gave up', 5000);
    const [offerer, answerer] = a.selfId < b.selfId ? [a, b] : [b, a];
    const states: string[] = [];
    answerer.on('connection-state', (_peer, state) => states.push(state));
    answerer.setMeta({ back: true }); // the offerer retries on this presence event

    await waitUntil(() => meshDirect([a, b]), 'both sides are connected again', 10_000);
    expect(states).toEqual(['connecting', 'connected']);
    const [atOfferer, atAnswerer] = [recordMessages(offerer), recordMessages(answerer)];
    offerer.peer(answerer.selfId)?.send('to the answerer');
    answerer.peer(offerer.selfId)?.send('to the offerer');
    await waitUntil(() => atOfferer.length === 1 && atAnswerer.length === 1, 'messages both ways');
  }, 30_000);

  it('patches no globals', async () => {
    const before = Object.getOwnPropertyNames(globalThis).sort();
    const server = await start();
    const a = await join(server.url);
    const b = await join(server.url);
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected');
    expect(Object.getOwnPropertyNames(globalThis).sort()).toEqual(before);
    expect('RTCPeerConnection' in globalThis).toBe(false);
  });
});
