import { describe, expect, it } from 'vitest';
import type { Room } from '../../sdk/index.js';
import {
  controlledWebSocket,
  fastReconnect,
  meshDirect,
  nextEvent,
  recordingWrtc,
  recordMessages,
  useRooms,
  waitUntil,
} from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';

/** Every presence and state event of a room, as readable strings. */
function recordEvents(room: Room): string[] {
  const events: string[] = [];
  room.on('peer-joined', (peer) => events.push(`joined ${peer.id}`));
  room.on('peer-left', (peer, reason) => events.push(`left ${peer.id} ${reason}`));
  room.on('connection-state', (peer, state) => events.push(`${peer.id} ${state}`));
  room.on('signaling-state', (state) => events.push(`signaling ${state}`));
  room.on('error', (error) => events.push(`error ${error.code}`));
  return events;
}

describe('signaling reconnect with live peer connections', () => {
  const { start, connect } = useSignaling();
  const { join } = useRooms();

  it('survives a signaling server restart: links stay up, presence comes back, no events', async () => {
    const first = await start();
    const wrtcA = recordingWrtc();
    const a = await join(first.url, { ...fastReconnect, wrtc: wrtcA, meta: { name: 'a' } });
    const b = await join(first.url, { ...fastReconnect, meta: { name: 'b' } });
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected');
    const [ids, atA, atB] = [[a.selfId, b.selfId], recordMessages(a), recordMessages(b)];
    const [eventsA, eventsB] = [recordEvents(a), recordEvents(b)];

    await first.close(); // 1001 to both: reconnect and resume
    await waitUntil(
      () => a.signalingState === 'reconnecting' && b.signalingState === 'reconnecting',
      'both lost signaling',
    );
    a.peer(b.selfId)?.send('while the server is down');
    b.peer(a.selfId)?.send(new Uint8Array([1]));
    await waitUntil(() => atA.length === 1 && atB.length === 1, 'messages flow without a server');

    const second = await start({ port: first.port });
    await waitUntil(
      () => a.signalingState === 'connected' && b.signalingState === 'connected',
      'both are back',
      5000,
    );
    expect([a.selfId, b.selfId]).toEqual(ids);
    await waitUntil(() => second.stats().peers === 2, 'the new server has both peers');
    // Both still hold the other, connected over the same RTCPeerConnection.
    expect(meshDirect([a, b])).toBe(true);
    expect(wrtcA.connections.length).toBe(1);
    const newcomer = await connect(second);
    const welcome = await newcomer.join('test-room');
    expect(welcome.peers.map((p) => [p.id, p.meta]).sort()).toEqual(
      [
        [a.selfId, { name: 'a' }],
        [b.selfId, { name: 'b' }],
      ].sort(),
    );
    a.peer(b.selfId)?.send('after');
    await waitUntil(() => atB.length === 2, 'b got the message sent after the restart');
    const quiet = ['signaling reconnecting', 'signaling connected'];
    // The newcomer is a raw client: each room sees it join, and nothing else happened.
    await waitUntil(() => eventsA.length >= 3 && eventsB.length >= 3, 'the newcomer was seen');
    expect(eventsA.slice(0, 2)).toEqual(quiet);
    expect(eventsB.slice(0, 2)).toEqual(quiet);
    expect(eventsA[2]).toBe(`joined ${welcome.peerId}`);
    expect(eventsB[2]).toBe(`joined ${welcome.peerId}`);
  });

  it('resumes after a dropped socket within the grace period: the others see nothing', async () => {
    const server = await start();
    const socket = controlledWebSocket();
    const a = await join(server.url, { ...fastReconnect, WebSocket: socket.WebSocket });
    const b = await join(server.url);
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected');
    const atB = recordMessages(b);
    const [eventsA, eventsB] = [recordEvents(a), recordEvents(b)];
    socket.sockets[0]?.terminate(); // an abnormal drop, like a lost network
    await nextEvent(a, 'signaling-state', (state) => state === 'connected');
    expect(eventsA).toEqual(['signaling reconnecting', 'signaling connected']);
    a.peer(b.selfId)?.send('still here');
    await waitUntil(() => atB.length === 1, 'b got the message');
    expect(eventsB).toEqual([]);
    expect(server.stats().peers).toBe(2);
  });

  it('keeps a peer the server reported disconnected while the link lives, until it is back', async () => {
    const server = await start({ resumeGraceMs: 100 });
    const socketB = controlledWebSocket();
    const wrtcA = recordingWrtc();
    const a = await join(server.url, { wrtc: wrtcA });
    const b = await join(server.url, { ...fastReconnect, WebSocket: socketB.WebSocket });
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected');
    const eventsA = recordEvents(a);
    const atA = recordMessages(a);
    socketB.control.refuse = true;
    socketB.sockets[0]?.terminate(); // b's signaling drops for longer than the grace period
    await waitUntil(() => server.stats().peers === 1, 'the server dropped b');
    b.peer(a.selfId)?.send('over the data channel');
    await waitUntil(() => atA.length === 1, 'a still hears b');
    expect(a.peer(b.selfId)?.state).toBe('connected');
    socketB.control.refuse = false;
    await nextEvent(b, 'signaling-state', (state) => state === 'connected');
    await waitUntil(() => server.stats().peers === 2, 'b is back in the room');
    // A marker after b's return: the server tells a of it after b's peer-joined, on the
    // same socket, so once a has it, a has handled everything about b's return.
    b.setMeta({ back: true });
    await nextEvent(a, 'peer-updated', (peer) => peer.id === b.selfId);
    expect(eventsA).toEqual([]);
    expect(wrtcA.connections.length).toBe(1);
    expect(meshDirect([a, b])).toBe(true);
  });

  it('reports a peer that does not come back within presenceGraceMs as missing', async () => {
    const first = await start();
    const socketB = controlledWebSocket();
    const a = await join(first.url, { ...fastReconnect, presenceGraceMs: 300 });
    const b = await join(first.url, { ...fastReconnect, WebSocket: socketB.WebSocket });
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected');
    const eventsA = recordEvents(a);
    socketB.control.refuse = true; // b's network stays down: it keeps trying
    await first.close();
    await start({ port: first.port });
    await nextEvent(a, 'signaling-state', (state) => state === 'connected');
    const started = Date.now();
    const [peer, reason] = await nextEvent(a, 'peer-left', undefined, 2000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect([peer.id, reason, peer.state]).toEqual([b.selfId, 'missing', 'closed']);
    expect(eventsA).toEqual([
      'signaling reconnecting',
      'signaling connected',
      `left ${b.selfId} missing`,
    ]);
    expect(b.signalingState).toBe('reconnecting');
  });
});

describe('a peer that comes back with its id after the others gave it up', () => {
  const { start } = useSignaling();
  const { join } = useRooms();

  it.each([
    ['', {}],
    [', sealed (e2ee)', { e2ee: { secret: 'a room secret of the test' } }],
  ])(
    'exchanges messages both ways with the room that dropped it (its new link and the old one agree)%s',
    async (_, sealed) => {
      const server = await start({ resumeGraceMs: 100 });
      const socketB = controlledWebSocket();
      const a = await join(server.url, { ...sealed, transport: 'relay', presenceGraceMs: 200 });
      const b = await join(server.url, {
        ...sealed,
        ...fastReconnect,
        transport: 'relay',
        WebSocket: socketB.WebSocket,
      });
      await waitUntil(() => a.peer(b.selfId)?.state === 'connected', 'a reaches b');
      await waitUntil(() => b.peer(a.selfId)?.state === 'connected', 'b reaches a');
      const [atA, atB] = [recordMessages(a), recordMessages(b)];
      a.peer(b.selfId)?.send('a1');
      b.peer(a.selfId)?.send('b1');
      await waitUntil(() => atA.length === 1 && atB.length === 1, 'the first messages arrived');
      await new Promise((resolve) => setTimeout(resolve, 100)); // and were acknowledged

      socketB.control.refuse = true; // b's network is down for longer than both grace periods
      socketB.sockets[0]?.terminate();
      await nextEvent(a, 'peer-left', (peer) => peer.id === b.selfId);
      socketB.control.refuse = false;
      const [back] = await nextEvent(a, 'peer-joined', (peer) => peer.id === b.selfId);
      await waitUntil(() => b.signalingState === 'connected', 'b is back');

      back.send('a2');
      b.peer(a.selfId)?.send('b2');
      await waitUntil(() => atA.length === 2 && atB.length === 2, 'the later messages arrived');
      expect(atA.map((m) => m.data)).toEqual(['b1', 'b2']);
      expect(atB.map((m) => m.data)).toEqual(['a1', 'a2']);
    },
  );
});
