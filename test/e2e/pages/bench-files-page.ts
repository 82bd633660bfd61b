/**
 * The file benchmark's page: one RTCDataChannel with back-pressure (the floor), the SDK's
 * `sendFile`, and PeerJS (loaded by the benchmark with `addScriptTag` as `window.Peer`),
 * each moving the same number of bytes to another page. Runs in the browser.
 */
import type * as Peerlane from '../../../sdk/index.js';
import type { BenchFilesPageApi } from './files-api.js';
import { heldBlob, Inbox, now, signalingUrl, untilTrue, within } from './page-kit.js';

const BUNDLE_URL = '/peerlane.js';
const { joinRoom } = (await import(BUNDLE_URL)) as typeof Peerlane;

/** The same thresholds as the SDK's bulk lane (WATER_MARKS in sdk/link/flow.ts). */
const HIGH_WATER = 2 * 1024 * 1024;
const LOW_WATER = 512 * 1024;

/** The little of PeerJS 1.5 this page uses. */
interface PeerJsConnection {
  open: boolean;
  bufferSize: number;
  dataChannel: RTCDataChannel;
  on(event: 'open', listener: () => void): void;
  on(event: 'data', listener: (data: unknown) => void): void;
  send(data: ArrayBuffer): void;
  close(): void;
}
interface PeerJsPeer {
  on(event: 'open', listener: (id: string) => void): void;
  on(event: 'connection', listener: (connection: PeerJsConnection) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  connect(id: string, options: { reliable: boolean; serialization: string }): PeerJsConnection;
  destroy(): void;
}
type PeerJsConstructor = new (
  id: string,
  options: {
    host: string;
    port: number;
    path: string;
    secure: boolean;
    config: RTCConfiguration;
    debug: number;
  },
) => PeerJsPeer;

let pc: RTCPeerConnection | undefined;
let channel: RTCDataChannel | undefined;
const rawReceived = byteCounter();
let room: Peerlane.Room | undefined;
const offers = new Inbox<Peerlane.IncomingFile>();
/** What `sdkSend` sends (`sdkFile`). */
let file: Blob | undefined;
let peer: PeerJsPeer | undefined;
let connection: PeerJsConnection | undefined;
const peerjsReceived = byteCounter();

/** Counts bytes; `reach(n)` resolves once the count is at least n. */
function byteCounter() {
  let count = 0;
  let waiting: Array<{ bytes: number; resolve: () => void }> = [];
  return {
    add(bytes: number) {
      count += bytes;
      const ready = waiting.filter((wait) => count >= wait.bytes);
      waiting = waiting.filter((wait) => count < wait.bytes);
      for (const wait of ready) wait.resolve();
    },
    reach(bytes: number): Promise<void> {
      if (count >= bytes) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ bytes, resolve }));
    },
  };
}

function rawChannel(made: RTCDataChannel): void {
  channel = made;
  made.binaryType = 'arraybuffer';
  made.bufferedAmountLowThreshold = LOW_WATER;
  made.onmessage = ({ data }) => {
    rawReceived.add((data as ArrayBuffer).byteLength);
  };
}

async function gathered(connection: RTCPeerConnection): Promise<string> {
  if (connection.iceGatheringState !== 'complete') {
    await within(
      new Promise<void>((resolve) => {
        connection.addEventListener('icegatheringstatechange', () => {
          if (connection.iceGatheringState === 'complete') resolve();
        });
      }),
      5000,
      'ICE gathering',
    );
  }
  return connection.localDescription?.sdp ?? '';
}

/** Tasks of 50 ms or more on this page's main thread since the last `longTasks()` (Chromium). */
let longTasks: number[] = [];
if (PerformanceObserver.supportedEntryTypes?.includes('longtask')) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push(entry.duration);
  }).observe({ type: 'longtask' });
}

/**
 * Sends `total` bytes in `chunkBytes` messages, waiting for `bufferedamountlow` above the
 * high-water mark. `send` gets the same buffer every time (a data channel copies what it
 * is given); a sender that keeps it must copy it.
 */
async function pump(
  target: RTCDataChannel,
  total: number,
  chunkBytes: number,
  send: (chunk: Uint8Array<ArrayBuffer>) => void,
  full: () => boolean,
) {
  const chunk = new Uint8Array(chunkBytes).map((_, i) => i);
  for (let sent = 0; sent < total; ) {
    if (full()) {
      // The event, or a short poll: PeerJS drains its own queue on a timer.
      await new Promise((resolve) => {
        target.addEventListener('bufferedamountlow', resolve, { once: true });
        setTimeout(resolve, 10);
      });
      continue;
    }
    const size = Math.min(chunkBytes, total - sent);
    send(size === chunkBytes ? chunk : chunk.subarray(0, size));
    sent += size;
  }
}

function joined(): Peerlane.Room {
  if (!room) throw new Error('call sdkJoin() first');
  return room;
}

const api: BenchFilesPageApi = {
  async rawOffer() {
    pc = new RTCPeerConnection({ iceServers: [] });
    rawChannel(pc.createDataChannel('bench'));
    await pc.setLocalDescription(await pc.createOffer());
    return gathered(pc);
  },
  async rawAnswer(offer) {
    pc = new RTCPeerConnection({ iceServers: [] });
    pc.ondatachannel = ({ channel: made }) => rawChannel(made);
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await pc.setLocalDescription(await pc.createAnswer());
    return gathered(pc);
  },
  async rawAccept(answer) {
    await pc?.setRemoteDescription({ type: 'answer', sdp: answer });
  },
  async rawSend(total, chunkBytes, highWater, timeoutMs) {
    const target = channel;
    if (!target) throw new Error('no raw channel');
    if (target.readyState !== 'open') {
      await within(
        new Promise((resolve) => target.addEventListener('open', resolve, { once: true })),
        10_000,
        'raw channel open',
      );
    }
    target.bufferedAmountLowThreshold = highWater / 4;
    const startedAt = now();
    await within(
      pump(
        target,
        total,
        chunkBytes,
        (chunk) => target.send(chunk), // no copy: the fastest raw sender
        () => target.bufferedAmount > highWater,
      ),
      timeoutMs,
      'raw send',
    );
    return { startedAt };
  },
  async rawReceive(total, timeoutMs) {
    await within(rawReceived.reach(total), timeoutMs, `${total} raw bytes`);
    return { finishedAt: now() };
  },
  async sdkJoin(name) {
    room = await joinRoom({ url: signalingUrl(), room: name });
    room.on('incoming-file', (incoming) => offers.push(incoming));
    room.on('error', (error) => console.error(`peerlane error ${error.code}: ${error.message}`));
    return room.selfId;
  },
  async sdkWaitOpen(peerId, timeoutMs) {
    // Direct, not the relay a link may start on: the benchmark is about data channels.
    await untilTrue(
      () => joined().peer(peerId)?.transport === 'direct',
      `a direct connection to ${peerId}`,
      timeoutMs,
    );
  },
  async sdkFile(total) {
    // A Blob, as a File from a file picker or a drop is.
    const chunk = new Uint8Array(1024 * 1024).map((_, i) => i);
    const parts = Array.from({ length: Math.ceil(total / chunk.byteLength) }, (_, i) =>
      chunk.subarray(0, Math.min(chunk.byteLength, total - i * chunk.byteLength)),
    );
    file = await heldBlob(parts);
  },
  async sdkSend(peerId, timeoutMs) {
    const remote = joined().peer(peerId);
    if (!remote) throw new Error(`no peer ${peerId}`);
    if (!file) throw new Error('call sdkFile() first');
    const startedAt = now();
    await within(remote.sendFile(file, { name: 'bench.bin' }).done, timeoutMs, 'SDK send');
    return { startedAt, finishedAt: now() };
  },
  async sdkReceive(timeoutMs) {
    const incoming = await offers.take('an offer', timeoutMs);
    const transfer = incoming.accept({ writable: new WritableStream<Uint8Array>({ write() {} }) });
    await within(transfer.done, timeoutMs, 'SDK receive');
    return { finishedAt: now() };
  },
  async peerjsOpen(port, id, timeoutMs) {
    const Peer = (window as unknown as { Peer?: PeerJsConstructor }).Peer;
    if (!Peer) throw new Error('PeerJS is not loaded');
    const made = new Peer(id, {
      host: '127.0.0.1',
      port,
      path: '/',
      secure: false,
      // PeerJS's default config has public STUN/TURN servers: never on this machine.
      config: { iceServers: [] },
      debug: 0,
    });
    peer = made;
    made.on('connection', (incoming) => {
      connection = incoming;
      incoming.on('data', (data) => {
        peerjsReceived.add((data as ArrayBuffer).byteLength);
      });
    });
    made.on('error', (error) => console.error(`peerjs: ${error.message}`));
    await within(new Promise((resolve) => made.on('open', resolve)), timeoutMs, 'PeerJS open');
  },
  async peerjsConnect(remoteId, timeoutMs) {
    if (!peer) throw new Error('call peerjsOpen() first');
    const made = peer.connect(remoteId, { reliable: true, serialization: 'binary' });
    connection = made;
    await within(
      new Promise<void>((resolve) => made.on('open', resolve)),
      timeoutMs,
      'PeerJS connection open',
    );
  },
  async peerjsSend(total, chunkBytes, timeoutMs) {
    const target = connection;
    if (!target) throw new Error('no PeerJS connection');
    target.dataChannel.bufferedAmountLowThreshold = LOW_WATER;
    const startedAt = now();
    await within(
      pump(
        target.dataChannel,
        total,
        chunkBytes,
        // PeerJS may queue what it is given: a copy each.
        (chunk) => target.send(chunk.slice().buffer),
        // PeerJS queues itself above 8 MiB; stay below, like the others.
        () => target.bufferSize > 0 || target.dataChannel.bufferedAmount > HIGH_WATER,
      ),
      timeoutMs,
      'PeerJS send',
    );
    return { startedAt };
  },
  async peerjsReceive(total, timeoutMs) {
    await within(peerjsReceived.reach(total), timeoutMs, `${total} PeerJS bytes`);
    return { finishedAt: now() };
  },
  longTasks() {
    const taken = longTasks;
    longTasks = [];
    return { count: taken.length, longestMs: Math.max(0, ...taken) };
  },
  async close() {
    pc?.close();
    connection?.close();
    peer?.destroy();
    await room?.leave();
  },
};

window.peerlaneTest = api;
