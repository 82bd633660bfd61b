/**
 * The relay benchmark's page (`npm run bench relay`): bytes through a bare binary WebSocket
 * relay (the floor) and through the SDK's relay transport. Runs in the browser.
 */
import type * as Peerlane from '../../../sdk/index.js';
import { heldBlob, Inbox, now, untilTrue, within } from './page-kit.js';
import { patternBytes } from './pattern.js';
import type { RelayBenchApi } from './relay-api.js';

const BUNDLE_URL = '/peerlane.js';
const { joinRoom } = (await import(BUNDLE_URL)) as typeof Peerlane;

let socket: WebSocket | undefined;
let room: Peerlane.Room | undefined;
const files = new Inbox<Peerlane.IncomingFile>();
/** What `sdkSend` sends (`sdkFile`). */
let file: Blob | undefined;
const errors: string[] = [];

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Sends `total` bytes as copies of `chunk` (the last one cut short), waiting while the
 * sender buffers more than `highWaterMark`, as both contenders of the benchmark do.
 */
async function paced(
  who: string,
  total: number,
  chunk: Uint8Array<ArrayBuffer>,
  highWaterMark: number,
  timeoutMs: number,
  to: { buffered(): number; send(bytes: Uint8Array<ArrayBuffer>): void },
): Promise<{ startedAt: number }> {
  const startedAt = now();
  const deadline = startedAt + timeoutMs;
  for (let sent = 0; sent < total; ) {
    while (to.buffered() > highWaterMark) {
      if (now() > deadline) throw new Error(`${who}: sent ${sent} of ${total} bytes in time`);
      await tick();
    }
    const size = Math.min(chunk.byteLength, total - sent);
    to.send(size === chunk.byteLength ? chunk : chunk.subarray(0, size));
    sent += size;
  }
  return { startedAt };
}

function joined(): Peerlane.Room {
  if (!room) throw new Error('sdkJoin first');
  return room;
}

function peer(id: string): Peerlane.RemotePeer {
  const found = room?.peer(id);
  if (!found) throw new Error(`peer ${id} is not in the room`);
  return found;
}

const api: RelayBenchApi = {
  async floorOpen(url, timeoutMs) {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    await within(
      new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error(`cannot open ${url}`));
      }),
      timeoutMs,
      `a WebSocket to ${url}`,
    );
  },
  async floorSend(total, chunkBytes, highWaterMark, timeoutMs) {
    const ws = socket;
    if (!ws) throw new Error('floorOpen first');
    return paced('floor', total, patternBytes(chunkBytes, 1), highWaterMark, timeoutMs, {
      buffered: () => ws.bufferedAmount,
      send: (bytes) => ws.send(bytes),
    });
  },
  floorReceive(total, timeoutMs) {
    const ws = socket;
    if (!ws) throw new Error('floorOpen first');
    let received = 0;
    const done = new Promise<{ finishedAt: number }>((resolve) => {
      ws.onmessage = ({ data }) => {
        received += (data as ArrayBuffer).byteLength;
        if (received >= total) resolve({ finishedAt: now() });
      };
    });
    return within(done, timeoutMs, `${total} bytes through the bare relay`);
  },
  async sdkJoin(url, name, secret) {
    room = await joinRoom({
      url,
      room: name,
      transport: 'relay',
      ...(secret ? { e2ee: { secret } } : {}),
    });
    room.on('incoming-file', (incoming) => files.push(incoming));
    room.on('error', (error) => errors.push(`${error.code}: ${error.message}`));
    return room.selfId;
  },
  async sdkWaitRelay(id, timeoutMs) {
    await untilTrue(
      () => room?.peer(id)?.transport === 'relay',
      `peer ${id} on the relay`,
      timeoutMs,
    );
  },
  async sdkFile(total) {
    file = await heldBlob([patternBytes(total, 2)]);
  },
  async sdkSend(id, timeoutMs) {
    if (!file) throw new Error('call sdkFile() first');
    const startedAt = now();
    const transfer = peer(id).sendFile(file, { name: 'bench.bin' });
    await within(transfer.done, timeoutMs, `sendFile of ${file.size} bytes`);
    return { startedAt, finishedAt: now() };
  },
  async sdkReceive(timeoutMs) {
    const incoming = await files.take('an incoming file', timeoutMs);
    const sink = new WritableStream<Uint8Array>();
    await within(incoming.accept({ writable: sink }).done, timeoutMs, 'the file to arrive');
    return { finishedAt: now() };
  },
  async sdkSendMessages(id, total, messageBytes, highWaterMark, timeoutMs) {
    const to = peer(id);
    return paced('sdk', total, patternBytes(messageBytes, 3), highWaterMark, timeoutMs, {
      buffered: () => to.bufferedAmount,
      send: (bytes) => to.send(bytes),
    });
  },
  sdkReceiveMessages(total, timeoutMs) {
    let received = 0;
    const done = new Promise<{ finishedAt: number }>((resolve) => {
      joined().on('message', (data) => {
        received += typeof data === 'string' ? data.length : data.byteLength;
        if (received >= total) resolve({ finishedAt: now() });
      });
    });
    return within(done, timeoutMs, `${total} bytes of messages`);
  },
  sdkErrors: () => [...errors],
  close() {
    socket?.close();
    void room?.leave();
  },
};

window.relayBench = api;
