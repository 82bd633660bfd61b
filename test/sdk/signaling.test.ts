import wrtc from '@roamhq/wrtc';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { reconnectDelay } from '../../sdk/client/backoff.js';
import { joinRoom, PeerlaneError, type PeerlaneErrorCode } from '../../sdk/index.js';
import { fakeWelcome, useFakeSignaling } from '../helpers/fake-signaling.js';
import { controlledWebSocket, nextEvent, useRooms, waitUntil } from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';

async function rejection(promise: Promise<unknown>): Promise<PeerlaneError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PeerlaneError);
  return error as PeerlaneError;
}

const expectCode = (code: PeerlaneErrorCode) => expect.objectContaining({ code });

describe('reconnect delay', () => {
  const settings = { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, maxAttempts: 5 };
  it('grows exponentially, is capped, and is jittered within its upper half', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => reconnectDelay(n, settings, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect([0, 1, 2, 3, 4, 10].map((n) => reconnectDelay(n, settings, () => 0))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
  });
});

describe('joinRoom', () => {
  const { start, connect } = useSignaling();
  const fake = useFakeSignaling();
  const { join } = useRooms();
  const base = { url: 'ws://127.0.0.1:1/ws', room: 'r', wrtc, WebSocket };

  it('rejects bad options with INVALID_ARGUMENT naming the option', async () => {
    const cases = [
      { ...base, url: 'http://example.com' },
      { ...base, room: 'no spaces allowed' },
      { ...base, meta: { name: 'x'.repeat(300) } },
      { ...base, connectTimeoutMs: -1 },
      { ...base, reconnect: { factor: 0.5 } },
      { ...base, iceTransportPolicy: 'none' as RTCIceTransportPolicy },
      { ...base, iceServers: [{ url: 'stun:x' }] as unknown as RTCIceServer[] },
    ];
    const messages: string[] = [];
    for (const options of cases) {
      const error = await rejection(joinRoom(options));
      expect(error.code).toBe('INVALID_ARGUMENT');
      messages.push(error.message);
    }
    expect(messages).toEqual([
      expect.stringContaining('options.url'),
      expect.stringContaining('options.room'),
      expect.stringContaining('options.meta'),
      expect.stringContaining('options.connectTimeoutMs'),
      expect.stringContaining('options.reconnect.factor'),
      expect.stringContaining('options.iceTransportPolicy'),
      expect.stringContaining('options.iceServers'),
    ]);
  });

  it.each([
    [
      'not an ICE URL',
      [{ urls: 'http://stun.example.com' }],
      'options.iceServers[0].urls: must be',
    ],
    ['no scheme', [{ urls: ['stun:a.example.com', 'b.example.com:3478'] }], '.urls[1]: must be'],
    ['a port out of range', [{ urls: 'stun:a.example.com:70000' }], '[0].urls: must be'],
    [
      'TURN without credentials',
      [{ urls: 'turn:t.example.com' }],
      'needs a username and a credential',
    ],
    ['no URL at all', [{ urls: [] }], 'options.iceServers[0].urls: must not be empty'],
  ])(
    'refuses iceServers with %s (a browser would refuse the RTCPeerConnection): INVALID_ARGUMENT',
    async (_, iceServers, message) => {
      const error = await rejection(joinRoom({ ...base, iceServers }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain(message);
    },
  );

  it('needs a WebSocket and a WebRTC implementation where there are no globals (Node)', async () => {
    expect('WebSocket' in globalThis).toBe(false);
    const { WebSocket: _ws, ...noSocket } = base;
    expect(await rejection(joinRoom(noSocket))).toEqual(expectCode('NO_WEBSOCKET'));
    const { wrtc: _wrtc, ...noWebRtc } = base;
    expect(await rejection(joinRoom(noWebRtc))).toEqual(expectCode('NO_WEBRTC'));
  });

  it('rejects with SIGNALING_UNREACHABLE when nothing listens', async () => {
    const server = await start();
    const { url } = server;
    await server.close();
    const error = await rejection(joinRoom({ ...base, url }));
    expect(error.code).toBe('SIGNALING_UNREACHABLE');
    expect(error.message).toContain(url);
  });

  it('rejects with JOIN_TIMEOUT when the server never answers', async () => {
    const silent = await fake.start(() => {});
    const started = Date.now();
    const error = await rejection(joinRoom({ ...base, url: silent.url, connectTimeoutMs: 300 }));
    expect(error.code).toBe('JOIN_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails a join at once with PROTOCOL_ERROR when the URL is not a Peerlane server, saying what came', async () => {
    const servers: Array<[string, (ws: import('ws').WebSocket) => void, string]> = [
      ['an echo server', (ws) => ws.on('message', (data) => ws.send(String(data))), 'type:'],
      [
        'another protocol',
        (ws) => ws.send('{"event":"hello","data":[1,2]}'),
        'frame from the server',
      ],
      ['bytes', (ws) => ws.send(Buffer.from([1, 2, 3])), '3 bytes of binary'],
    ];
    for (const [what, behave, says] of servers) {
      const server = await fake.start(behave);
      const started = Date.now();
      const error = await rejection(joinRoom({ ...base, url: server.url, connectTimeoutMs: 5000 }));
      expect(error.code, what).toBe('PROTOCOL_ERROR');
      expect(error.message, what).toContain(
        `${server.url} does not answer as a Peerlane signaling server`,
      );
      expect(error.message, what).toContain(says);
      expect(Date.now() - started, what).toBeLessThan(1000); // not connectTimeoutMs
    }
  });

  it('rejects with the server’s code when the join is refused', async () => {
    const server = await start({ maxPeersPerRoom: 1 });
    await join(server.url);
    const error = await rejection(joinRoom({ ...base, url: server.url, room: 'test-room' }));
    expect(error.code).toBe('ROOM_FULL');
    expect(error.message).toContain('full');
  });

  it('reports a frame it does not understand as PROTOCOL_ERROR and carries on', async () => {
    let pings = 0;
    const server = await fake.start((ws) => {
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string };
        if (frame.type === 'join') ws.send(fakeWelcome());
        if (frame.type === 'ping') {
          pings += 1;
          ws.send('{"type":"surprise"}');
          ws.send('{"type":"pong"}');
        }
      });
    });
    const room = await join(server.url, { pingIntervalMs: 50 });
    const [error] = await nextEvent(room, 'error');
    expect(error.code).toBe('PROTOCOL_ERROR');
    // Three more rounds, each with a frame it does not understand: still the same socket.
    const after = pings;
    await waitUntil(() => pings >= after + 3, 'three more ping/pong rounds');
    expect(room.signalingState).toBe('connected');
    expect(server.connections).toBe(1);
  });

  /** A fake server that refuses the first `refusals` joins with `code`, then welcomes. */
  const refusing = (code: string, refusals = Number.POSITIVE_INFINITY) =>
    fake.start((ws) => {
      ws.once('message', () => {
        refusals -= 1;
        if (refusals < 0) ws.send(fakeWelcome());
        else ws.send(JSON.stringify({ type: 'error', code, message: `no (${code})`, ref: 'join' }));
      });
    });
  const quick = { reconnect: { initialDelayMs: 20, maxDelayMs: 40 }, connectTimeoutMs: 600 };

  it.each(['RATE_LIMITED', 'SHUTTING_DOWN', 'UNAVAILABLE'])(
    'joins at the next try when the first join is refused for a moment (%s)',
    async (code) => {
      const server = await refusing(code, 2);
      const room = await join(server.url, quick);
      expect(room.selfId).toBe('AAAAAAAAAAAAAAAAAAAAAA');
      expect(server.connections).toBe(3);
    },
  );

  it('lets 40 people of one address join at once: those over the join rate try again', async () => {
    const server = await start(); // 5 joins a second per address, bursts of 20
    const rooms = await Promise.all(
      Array.from({ length: 40 }, () => join(server.url, { transport: 'relay' })),
    );
    expect(new Set(rooms.map((room) => room.selfId)).size).toBe(40);
    expect(server.stats().peers).toBe(40);
  }, 15_000);

  it('gives a momentary refusal of the first join up at connectTimeoutMs; a full room, or reconnect off, at once', async () => {
    const always = await refusing('RATE_LIMITED');
    const started = Date.now();
    const error = await rejection(joinRoom({ ...base, url: always.url, ...quick }));
    expect(error).toMatchObject({ code: 'RATE_LIMITED', message: 'no (RATE_LIMITED)' });
    expect(Date.now() - started).toBeLessThan(1200);
    expect(always.connections).toBeGreaterThan(3);
    const full = await refusing('ROOM_FULL');
    expect((await rejection(joinRoom({ ...base, url: full.url, ...quick }))).code).toBe(
      'ROOM_FULL',
    );
    expect(full.connections).toBe(1);
    const once = await refusing('RATE_LIMITED');
    const options = { ...base, url: once.url, ...quick, reconnect: false as const };
    expect((await rejection(joinRoom(options))).code).toBe('RATE_LIMITED');
    expect(once.connections).toBe(1);
  });

  it('gives the first join up at connectTimeoutMs even when a retry is under way then', async () => {
    // The first join is refused late (400 ms in); the retry's server never answers.
    let connections = 0;
    const server = await fake.start((ws) => {
      connections += 1;
      if (connections > 1) return;
      ws.once('message', () => {
        setTimeout(() => {
          ws.send(
            JSON.stringify({ type: 'error', code: 'RATE_LIMITED', message: 'no', ref: 'join' }),
          );
        }, 400);
      });
    });
    const started = Date.now();
    const error = await rejection(joinRoom({ ...base, url: server.url, ...quick }));
    expect(error).toMatchObject({ code: 'RATE_LIMITED', message: 'no' }); // why it retried
    expect(Date.now() - started).toBeLessThan(850); // not 400 ms + a whole new 600
    expect(connections).toBe(2);
  });

  it('reconnects through momentary refusals without an error; a room that filled up meanwhile is told', async () => {
    let joins = 0;
    const answers = ['drop', 'RATE_LIMITED', 'SHUTTING_DOWN', 'ROOM_FULL', 'welcome'];
    const server = await fake.start((ws) => {
      ws.once('message', () => {
        const answer = answers[Math.min(joins, answers.length - 1)] as string;
        joins += 1;
        if (answer === 'welcome' || answer === 'drop') ws.send(fakeWelcome());
        else ws.send(JSON.stringify({ type: 'error', code: answer, message: 'no', ref: 'join' }));
        if (answer === 'drop') setTimeout(() => ws.terminate(), 100);
      });
    });
    const room = await join(server.url, quick);
    const states: string[] = [];
    const errors: string[] = [];
    room.on('signaling-state', (state) => states.push(state));
    room.on('error', (error) => errors.push(error.code));
    await waitUntil(() => joins === 5 && room.signalingState === 'connected', 'back in');
    expect(states).toEqual(['reconnecting', 'connected']);
    expect(errors).toEqual(['ROOM_FULL']);
  });

  it('refuses relay terms no relay piece fits in (PROTOCOL_ERROR), instead of crashing on them', async () => {
    const server = await fake.start((ws) => {
      ws.once('message', () => {
        const welcome = JSON.parse(fakeWelcome()) as Record<string, unknown>;
        ws.send(
          JSON.stringify({ ...welcome, relay: { window: 3, maxChunk: 65_000, media: true } }),
        );
      });
    });
    const error = await rejection(joinRoom({ ...base, url: server.url, room: 'test-room' }));
    expect(error.code).toBe('PROTOCOL_ERROR');
    expect(error.message).toContain('relay.window: at least 4096');
  });

  it('closes the room without reconnecting when the server closes with 1008', async () => {
    const server = await fake.start((ws) => {
      ws.once('message', () => {
        ws.send(fakeWelcome());
        setTimeout(() => ws.close(1008, 'abuse'), 20);
      });
    });
    const room = await join(server.url, { reconnect: { initialDelayMs: 10 } });
    const [error] = await nextEvent(room, 'error');
    expect(error.code).toBe('SIGNALING_CLOSED');
    expect(error.message).toContain('1008');
    expect(room.signalingState).toBe('closed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.connections).toBe(1);
  });

  it('keeps signals that arrive before their sender is announced, and starts afresh on a new session', async () => {
    const remoteId = '0000000000000000000000'; // smaller than the fake welcome's id: it offers
    const toRemote: Array<{ type: string }> = [];
    const offers: string[] = [];
    let socket: import('ws').WebSocket | undefined;
    const server = await fake.start((ws) => {
      socket = ws;
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as {
          type: string;
          to?: string;
          data?: { type: string };
        };
        if (frame.type === 'join') ws.send(fakeWelcome());
        if (frame.type === 'signal' && frame.to === remoteId && frame.data)
          toRemote.push(frame.data);
      });
    });
    const makeOffer = async () => {
      const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
      pc.createDataChannel('x');
      const offer = await pc.createOffer();
      pc.close();
      offers.push(offer.sdp ?? '');
      return { type: 'signal', from: remoteId, data: { type: 'offer', sdp: offer.sdp } };
    };
    const room = await join(server.url);
    const states: string[] = [];
    room.on('connection-state', (peer, state) => states.push(`${peer.id} ${state}`));
    socket?.send(JSON.stringify(await makeOffer())); // before the peer-joined
    socket?.send(JSON.stringify({ type: 'peer-joined', peer: { id: remoteId, meta: {} } }));
    await waitUntil(
      () => toRemote.some((d) => d.type === 'answer'),
      'the early offer was answered',
    );
    socket?.send(JSON.stringify(await makeOffer())); // another RTCPeerConnection
    await waitUntil(
      () => toRemote.filter((d) => d.type === 'answer').length === 2,
      'the new session was answered',
    );
    expect(offers[0]?.match(/^o=\S+ (\S+)/m)?.[1]).not.toBe(offers[1]?.match(/^o=\S+ (\S+)/m)?.[1]);
    // The new session replaced the direct link inside the peer's transport switch: the
    // peer was connecting and still is, so no state event.
    expect(states).toEqual([]);
  });

  it('reports metadata changes as peer-updated', async () => {
    const server = await start();
    const room = await join(server.url);
    const other = await connect(server);
    const joining = nextEvent(room, 'peer-joined');
    await other.join('test-room', { meta: { name: 'before' } });
    const [joined] = await joining;
    expect(joined.meta).toEqual({ name: 'before' });
    other.send({ type: 'meta', meta: { name: 'after' } });
    const [updated] = await nextEvent(room, 'peer-updated');
    expect(updated).toBe(joined);
    expect(updated.meta).toEqual({ name: 'after' });
  });

  it('replaces a socket that stops answering pings, resuming the same id unseen', async () => {
    const server = await start();
    const observer = await connect(server);
    await observer.join('test-room');
    const socket = controlledWebSocket();
    const room = await join(server.url, {
      WebSocket: socket.WebSocket,
      pingIntervalMs: 100,
      pingTimeoutMs: 100,
    });
    await observer.next('peer-joined');
    const states: string[] = [];
    room.on('signaling-state', (state) => states.push(state));
    socket.control.dropPings = true;
    await waitUntil(() => states.includes('reconnecting'), 'the room noticed the dead socket');
    socket.control.dropPings = false;
    await waitUntil(() => states.includes('connected'), 'the room reconnected');
    expect(states).toEqual(['reconnecting', 'connected']);
    expect(socket.sockets.length).toBe(2);
    expect(observer.unread('peer-left')).toEqual([]);
    expect(observer.unread('peer-joined')).toEqual([]);
    expect(server.stats().peers).toBe(2);
  });

  it('gives up after reconnect.maxAttempts with SIGNALING_UNREACHABLE and closes', async () => {
    const server = await start();
    const room = await join(server.url, {
      reconnect: { initialDelayMs: 20, maxDelayMs: 40, maxAttempts: 3 },
    });
    const states: string[] = [];
    room.on('signaling-state', (state) => states.push(state));
    const failed = nextEvent(room, 'error');
    await server.close();
    const [error] = await failed;
    expect(error.code).toBe('SIGNALING_UNREACHABLE');
    expect(error.message).toContain('3 attempts');
    expect(states).toEqual(['reconnecting', 'closed']);
  });

  it('leave() never reconnects nor reports reconnecting while it waits for the server', async () => {
    // A server that welcomes and then answers nothing: no pong, no `left`.
    const server = await fake.start((ws) => {
      ws.once('message', () => ws.send(fakeWelcome()));
    });
    const room = await join(server.url, {
      pingIntervalMs: 100,
      pingTimeoutMs: 100,
      reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
    });
    const states: string[] = [];
    room.on('signaling-state', (state) => states.push(state));
    await new Promise((resolve) => setTimeout(resolve, 50)); // the first ping is 50 ms away
    await room.leave(); // waits up to 1 s for `left`; the ping goes unanswered meanwhile
    expect(states).toEqual(['closed']);
    expect(server.connections).toBe(1);
  });

  it('leave() reports no presence and makes no links once called, while it waits for `left`', async () => {
    // A server that, hearing `leave`, first tells of a peer joining and of one updating.
    const server = await fake.start((ws) => {
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; ref?: string };
        if (frame.type === 'join') ws.send(fakeWelcome());
        if (frame.type !== 'leave') return;
        ws.send(JSON.stringify({ type: 'peer-joined', peer: { id: 'C'.repeat(22), meta: {} } }));
        ws.send(JSON.stringify({ type: 'left', room: 'test-room', ref: frame.ref }));
      });
    });
    const room = await join(server.url);
    const events: string[] = [];
    room.on('peer-joined', (peer) => events.push(`joined ${peer.id}`));
    room.on('connection-state', (peer, state) => events.push(`${peer.id} ${state}`));
    await room.leave();
    expect(events).toEqual([]);
    expect(room.peers).toEqual([]);
  });

  it('leave() tells the others at once, and resolves even with the socket gone', async () => {
    const server = await start();
    const observer = await connect(server);
    await observer.join('test-room');
    const room = await join(server.url);
    await observer.next('peer-joined');
    await room.leave();
    expect((await observer.next('peer-left', 200)).reason).toBe('left');

    const second = await join(server.url, { reconnect: { initialDelayMs: 5000 } });
    await server.close();
    await waitUntil(() => second.signalingState === 'reconnecting', 'the socket is gone');
    const started = Date.now();
    await second.leave();
    expect(Date.now() - started).toBeLessThan(100);
    expect(second.signalingState).toBe('closed');
  });
});
