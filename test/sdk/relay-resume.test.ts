import { describe, expect, it } from 'vitest';
import type { IncomingFile, Room } from '../../sdk/index.js';
import { hashingSink, patternSha256, patternStream } from '../helpers/files.js';
import {
  controlledWebSocket,
  fastReconnect,
  meshConnected,
  nextEvent,
  recordMessages,
  useRooms,
  waitUntil,
} from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';

const MiB = 1024 * 1024;

/**
 * A relayed session that resumes after its socket died in a way that loses what was
 * written to it (a network that went away, not a clean close): the server keeps the
 * session, but the frames on the dead connection, either way, are gone.
 */
describe('a relayed session resumed after its socket died with frames on it (Node)', () => {
  const { start } = useSignaling();
  const { join } = useRooms();

  /** a and b on the relay, each with a socket the test can kill. */
  async function pair() {
    const server = await start();
    const sockets = { a: controlledWebSocket(), b: controlledWebSocket() };
    const options = { ...fastReconnect, transport: 'relay' as const };
    const a = await join(server.url, { ...options, WebSocket: sockets.a.WebSocket });
    const b = await join(server.url, { ...options, WebSocket: sockets.b.WebSocket });
    await waitUntil(() => meshConnected([a, b]), 'a and b are connected over the relay');
    return { a, b, sockets };
  }

  /** What `socket` sends for 300 ms is lost, then it dies; the room resumes on a new one. */
  async function dieWithFrames(room: Room, socket: ReturnType<typeof controlledWebSocket>) {
    socket.control.dropAll = true;
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.sockets.at(-1)?.terminate();
    socket.control.dropAll = false;
    await nextEvent(room, 'signaling-state', (state) => state === 'connected');
  }

  /** A file of `size` pattern bytes from `from` to `to`, received into a hashing sink. */
  async function patternFile(from: Room, to: Room, size: number, windowBytes?: number) {
    const sink = hashingSink();
    const incoming = nextEvent(to, 'incoming-file');
    const sending = from.peer(to.selfId)?.sendFile(patternStream(size, 7), { name: 'f', size });
    if (!sending) throw new Error('no peer');
    const [offer] = (await incoming) as [IncomingFile];
    const { writable } = sink;
    const receiving = offer.accept(windowBytes ? { writable, windowBytes } : { writable });
    return { sending, receiving, sink };
  }

  it("gets back the relay credit of the receiver's lost grants: messages and a file go on", async () => {
    const { a, b, sockets } = await pair();
    const atB = recordMessages(b);
    let sent = 0;
    const pump = setInterval(() => {
      sent += 1;
      a.peer(b.selfId)?.send(`${sent}`);
    }, 5);
    try {
      const size = 8 * MiB;
      const { sending, receiving, sink } = await patternFile(a, b, size);
      await waitUntil(() => sending.progress.bytesConfirmed > MiB / 2, 'the file is under way');
      // b reads a's frames all along, but its grants of credit for them are lost.
      await dieWithFrames(b, sockets.b);
      await waitUntil(() => atB.length >= sent, 'messages flow again', 5000);
      await Promise.all([sending.done, receiving.done]);
      expect(sink.result.sha256).toBe(await patternSha256(size, 7));
    } finally {
      clearInterval(pump);
    }
    await waitUntil(() => atB.length === sent, `all ${sent} messages arrived`);
    expect(atB.map((m) => Number(m.data))).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
  }, 20_000);

  it.each([
    ['the sender', 'its last chunks'],
    ['the receiver', 'its acks'],
  ] as const)(
    'resumes a relayed file when %s lost %s with the socket (the window is full: nothing else would tell)',
    async (who, _lost) => {
      const { a, b, sockets } = await pair();
      const size = 4 * MiB;
      // A small receive window, smaller than the relay's: the transfer's own credit binds.
      const { sending, receiving, sink } = await patternFile(a, b, size, 256 * 1024);
      await waitUntil(() => sending.progress.bytesConfirmed > MiB / 2, 'the file is under way');
      if (who === 'the sender') await dieWithFrames(a, sockets.a);
      else await dieWithFrames(b, sockets.b);
      await Promise.all([sending.done, receiving.done]);
      expect(sink.result.sha256).toBe(await patternSha256(size, 7));
    },
    15_000,
  );
});
