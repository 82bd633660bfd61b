import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileTransfer, PeerlaneError, Room } from '../../sdk/index.js';
import { sha256Hex } from '../helpers/files.js';
import {
  controlledWebSocket,
  fastReconnect,
  meshConnected,
  meshDirect,
  nextEvent,
  recordingWrtc,
  recordMessages,
  useRooms,
  waitUntil,
} from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';

const MiB = 1024 * 1024;
const e2ee = { secret: 'correct horse battery staple 42' };

/** How a transfer ended on one side: the SHA-256 of the Blob it made, or the error's code. */
async function outcome(done: Promise<unknown>): Promise<string> {
  try {
    const blob = await done;
    return blob instanceof Blob ? sha256Hex(new Uint8Array(await blob.arrayBuffer())) : 'done';
  } catch (error) {
    return `failed ${(error as PeerlaneError).code}`;
  }
}

/**
 * A file of `size` random bytes from `from` to `to`, accepted into a Blob (with a receive
 * window of `windowBytes`). `ended()` answers how both sides ended, once both have, or
 * throws after `timeoutMs`: a transfer that hangs fails the test.
 */
function transfer(from: Room, to: Room, size: number, name: string, windowBytes?: number) {
  const file = randomBytes(size);
  const received = new Promise<FileTransfer<unknown>>((resolve) => {
    to.on('incoming-file', (incoming) => {
      if (incoming.name === name) resolve(incoming.accept(windowBytes ? { windowBytes } : {}));
    });
  });
  const sending = from.peer(to.selfId)?.sendFile(new Blob([file]), { name });
  if (!sending) throw new Error(`${from.selfId} does not know ${to.selfId}`);
  return {
    sending,
    sha256: sha256Hex(file),
    async ended(timeoutMs = 10_000): Promise<[atSender: string, atReceiver: string]> {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const { state, progress } = sending;
          reject(new Error(`${name} hangs: the sender is ${state}, ${JSON.stringify(progress)}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([
          Promise.all([outcome(sending.done), received.then((r) => outcome(r.done))]),
          hung,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Each ended as it should have: complete, with the bytes sent, on both sides. */
async function expectComplete(transfers: Array<ReturnType<typeof transfer>>): Promise<void> {
  const ends = await Promise.all(transfers.map((t) => t.ended()));
  expect(ends).toEqual(transfers.map((t) => ['done', t.sha256]));
}

const pumps: Array<ReturnType<typeof setInterval>> = [];
afterEach(() => {
  for (const timer of pumps.splice(0)) clearInterval(timer);
});

/** Numbered messages from `from` to `to` every 5 ms until `stop()`, which answers how many. */
function numbered(from: Room, to: Room) {
  let sent = 0;
  const timer = setInterval(() => {
    sent += 1;
    from.peer(to.selfId)?.send(`${sent}`);
  }, 5);
  pumps.push(timer);
  return {
    stop(): number {
      clearInterval(timer);
      return sent;
    },
  };
}

/** All `count` numbered messages arrived, once each, in order. */
async function expectNumbered(received: Array<{ data: unknown }>, count: number): Promise<void> {
  await waitUntil(() => received.length >= count, `all ${count} messages arrived`);
  await new Promise((resolve) => setTimeout(resolve, 100)); // and no more
  expect(received.map((m) => Number(m.data))).toEqual(
    Array.from({ length: count }, (_, i) => i + 1),
  );
}

describe('files and messages both ways across interruptions (Node)', () => {
  const { start } = useSignaling();
  const { join } = useRooms();

  it.each([
    ['relay', ' with e2ee', { e2ee }],
    ['auto', '', {}],
  ] as const)(
    'a server restart under two files each way (transport %s%s): all complete, messages once each and in order',
    async (transport, _, sealing) => {
      const first = await start();
      const options = { ...fastReconnect, transport, ...sealing };
      const a = await join(first.url, options);
      const b = await join(first.url, options);
      const ready = transport === 'auto' ? meshDirect : meshConnected;
      await waitUntil(() => ready([a, b]), 'a and b are connected');
      const [atA, atB] = [recordMessages(a), recordMessages(b)];
      const [toB, toA] = [numbered(a, b), numbered(b, a)];
      const files = [
        transfer(a, b, 6 * MiB, 'a1'),
        transfer(a, b, 3 * MiB + 7, 'a2'),
        transfer(b, a, 6 * MiB, 'b1'),
        transfer(b, a, 3 * MiB + 1, 'b2'),
      ];
      await waitUntil(
        () => files.every((f) => f.sending.progress.bytesConfirmed > 256 * 1024),
        'every file is under way',
      );
      await first.close();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await start({ port: first.port });
      await expectComplete(files);
      const [countToB, countToA] = [toB.stop(), toA.stop()];
      await expectNumbered(atB, countToB);
      await expectNumbered(atA, countToA);
    },
    20_000,
  );

  it.each([
    ['', {}],
    [' (e2ee)', { e2ee }],
  ] as const)(
    'both sockets die at once with frames on them, under two files each way on the relay%s',
    async (_, sealing) => {
      const server = await start();
      const sockets = [controlledWebSocket(), controlledWebSocket()] as const;
      const options = { ...fastReconnect, transport: 'relay' as const, ...sealing };
      const a = await join(server.url, { ...options, WebSocket: sockets[0].WebSocket });
      const b = await join(server.url, { ...options, WebSocket: sockets[1].WebSocket });
      await waitUntil(() => meshConnected([a, b]), 'a and b are connected over the relay');
      const [atA, atB] = [recordMessages(a), recordMessages(b)];
      const [toB, toA] = [numbered(a, b), numbered(b, a)];
      const files = [
        transfer(a, b, 6 * MiB, 'a1'),
        transfer(a, b, 2 * MiB, 'a2', 256 * 1024),
        transfer(b, a, 6 * MiB, 'b1'),
        transfer(b, a, 2 * MiB, 'b2', 256 * 1024),
      ];
      await waitUntil(
        () => files.every((f) => f.sending.progress.bytesConfirmed > 256 * 1024),
        'every file is under way',
      );
      for (const socket of sockets) socket.control.dropAll = true;
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const socket of sockets) {
        socket.sockets.at(-1)?.terminate();
        socket.control.dropAll = false;
      }
      await expectComplete(files);
      const [countToB, countToA] = [toB.stop(), toA.stop()];
      await expectNumbered(atB, countToB);
      await expectNumbered(atA, countToA);
    },
    20_000,
  );

  it('the direct connection dies while the signaling server is down: files both ways complete', async () => {
    const first = await start();
    const wrtcA = recordingWrtc();
    const options = { ...fastReconnect, relayFallbackMs: 500, iceRestartTimeoutMs: 1000 };
    const a = await join(first.url, { ...options, wrtc: wrtcA });
    const b = await join(first.url, options);
    await waitUntil(() => meshDirect([a, b]), 'a and b are connected directly');
    const atB = recordMessages(b);
    const toB = numbered(a, b);
    const files = [transfer(a, b, 8 * MiB, 'a1'), transfer(b, a, 8 * MiB, 'b1')];
    await waitUntil(() => (files[0]?.sending.progress.bytesConfirmed ?? 0) > MiB, 'under way');
    await first.close();
    // No signaling for an ICE restart, no relay: the link waits for the server.
    for (const pc of wrtcA.connections) pc.close();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await start({ port: first.port });
    await expectComplete(files);
    await expectNumbered(atB, toB.stop());
  }, 20_000);

  it.each([
    ['', {}],
    [' (e2ee)', { e2ee }],
  ] as const)(
    'sends a file to a peer away for longer than the resume grace; the one under way completes too%s',
    async (_, sealing) => {
      const server = await start({ resumeGraceMs: 200 });
      const socketB = controlledWebSocket();
      const options = { ...fastReconnect, transport: 'relay' as const, ...sealing };
      const a = await join(server.url, options);
      const b = await join(server.url, { ...options, WebSocket: socketB.WebSocket });
      await waitUntil(() => meshConnected([a, b]), 'a and b are connected over the relay');
      const atB = recordMessages(b);
      const before = transfer(a, b, 6 * MiB, 'before');
      await waitUntil(() => before.sending.progress.bytesConfirmed > 256 * 1024, 'under way');
      socketB.control.refuse = true;
      socketB.sockets.at(-1)?.terminate();
      await waitUntil(() => server.stats().peers === 1, 'the server gave b up');
      const toB = numbered(a, b);
      const during = transfer(a, b, 3 * MiB, 'during');
      await new Promise((resolve) => setTimeout(resolve, 300));
      socketB.control.refuse = false;
      await nextEvent(b, 'signaling-state', (state) => state === 'connected');
      await expectComplete([before, during]);
      await expectNumbered(atB, toB.stop());
    },
    20_000,
  );
});
