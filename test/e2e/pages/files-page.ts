/**
 * The files page: the SDK's file transfer in the browser, driven by the test. Runs in the
 * browser.
 */
import type * as Peerlane from '../../../sdk/index.js';
import { type CorruptTarget, corruptingPeerConnection } from './corrupt-chunk.js';
import type { FilesPageApi, OfferSummary, TransferOutcome } from './files-api.js';
import { Inbox, sha256Hex, signalingUrl, untilTrue, within } from './page-kit.js';
import { patternBytes } from './pattern.js';

const BUNDLE_URL = '/peerlane.js';
const { joinRoom } = (await import(BUNDLE_URL)) as typeof Peerlane;

const offers = new Inbox<Peerlane.IncomingFile>();
const opens = new Inbox<string>();
const transfers = new Map<number, Peerlane.FileTransfer<unknown>>();
const events = new Map<number, number>();
let room: Peerlane.Room | undefined;
const connections: RTCPeerConnection[] = [];
const transportChanges: string[] = [];

/** Set by `sendPattern({ corruptOffset })`: the file byte the page’s connections corrupt. */
const corrupt: CorruptTarget = { offset: undefined };

/**
 * The browser's RTCPeerConnection, recording each instance and corrupting a chosen chunk
 * (handed to the SDK as `wrtc`).
 */
class RecordingPeerConnection extends corruptingPeerConnection(RTCPeerConnection, corrupt) {
  constructor(config?: RTCConfiguration) {
    super(config);
    connections.push(this);
  }
}

function joined(): Peerlane.Room {
  if (!room) throw new Error('call join() first');
  return room;
}

function track(transfer: Peerlane.FileTransfer<unknown>): number {
  const id = transfers.size + 1;
  transfers.set(id, transfer);
  events.set(id, 0);
  transfer.on('progress', () => events.set(id, (events.get(id) ?? 0) + 1));
  return id;
}

function transferOf(id: number): Peerlane.FileTransfer<unknown> {
  const transfer = transfers.get(id);
  if (!transfer) throw new Error(`no transfer ${id}`);
  return transfer;
}

const api: FilesPageApi = {
  async join(name, options = {}) {
    room = await joinRoom({
      url: signalingUrl(),
      room: name,
      ...options,
      wrtc: { RTCPeerConnection: RecordingPeerConnection, RTCSessionDescription, RTCIceCandidate },
    });
    room.on('transport-change', (peer, transport) => {
      transportChanges.push(`${peer.id} ${transport}`);
      if (transport !== 'relay') opens.push(peer.id);
    });
    room.on('incoming-file', (incoming) => offers.push(incoming));
    room.on('error', (error) => console.error(`peerlane error ${error.code}: ${error.message}`));
    return { selfId: room.selfId };
  },
  async publish() {
    joined().media.publish(await navigator.mediaDevices.getUserMedia({ audio: true, video: true }));
  },
  breakConnections() {
    for (const connection of connections) connection.close();
    return connections.length;
  },
  transportChanges: () => [...transportChanges],
  async bulkSent() {
    const sent = { messages: 0, bytes: 0 };
    for (const connection of connections) {
      for (const report of (await connection.getStats()).values()) {
        if (report.type !== 'data-channel' || report.label !== 'peerlane-bulk') continue;
        sent.messages += report.messagesSent ?? 0;
        sent.bytes += report.bytesSent ?? 0;
      }
    }
    return sent;
  },
  waitForPeer: (peerId, timeoutMs = 10_000) =>
    untilTrue(() => joined().peer(peerId)?.state === 'connected', `${peerId} connected`, timeoutMs),
  waitForStream: (peerId, timeoutMs = 10_000) =>
    untilTrue(
      () => joined().peer(peerId)?.stream !== undefined,
      `a stream from ${peerId}`,
      timeoutMs,
    ),
  async waitForOpen(peerId, timeoutMs = 10_000) {
    const peer = joined().peer(peerId);
    if (peer?.state === 'connected' && peer.transport !== 'relay') return;
    await opens.first(`the connection to ${peerId} to open`, timeoutMs, (id) => id === peerId);
  },
  sendPattern(peerId, size, seed, options = {}) {
    const file = new File([patternBytes(size, seed)], options.name ?? `pattern-${size}.bin`, {
      type: options.type ?? 'application/octet-stream',
    });
    corrupt.offset = options.corruptOffset;
    const sent =
      peerId === null
        ? joined().sendFile(file)
        : [joined().peer(peerId)?.sendFile(file) ?? fail(`no peer ${peerId}`)];
    return sent.map(track);
  },
  patternSha256: (size, seed) => sha256Hex(patternBytes(size, seed)),
  async answerNext(how, timeoutMs = 10_000) {
    const incoming = await offers.take('an incoming file', timeoutMs);
    const offer: OfferSummary = {
      from: incoming.from.id,
      name: incoming.name,
      size: incoming.size ?? null,
      type: incoming.type,
    };
    if (how === 'reject') {
      incoming.reject('not wanted');
      return { offer, transfer: null };
    }
    if (how === 'blob') return { offer, transfer: track(incoming.accept()) };
    // A sink that keeps nothing: the page's memory does not hold the file.
    const writable = new WritableStream<Uint8Array>({ write() {} });
    return { offer, transfer: track(incoming.accept({ writable })) };
  },
  progress: (id) => transferOf(id).progress.bytesTransferred,
  cancel(id, reason) {
    transferOf(id).cancel(reason);
  },
  async outcome(id, timeoutMs = 60_000) {
    const transfer = transferOf(id);
    const base = {
      name: transfer.name,
      type: transfer.type,
      progressEvents: 0,
      bytesTransferred: 0,
      bytesConfirmed: 0,
    };
    const finish = (extra: Partial<TransferOutcome>): TransferOutcome => ({
      ...base,
      state: transfer.state,
      bytesTransferred: transfer.progress.bytesTransferred,
      bytesConfirmed: transfer.progress.bytesConfirmed,
      progressEvents: events.get(id) ?? 0,
      ...extra,
    });
    try {
      const result = await within(transfer.done, timeoutMs, `transfer ${id} to end`);
      if (!(result instanceof Blob)) return finish({});
      const bytes = new Uint8Array(await result.arrayBuffer());
      return finish({ size: result.size, sha256: await sha256Hex(bytes), type: result.type });
    } catch (error) {
      const { code, message } = error as Peerlane.PeerlaneError;
      if (code === undefined) throw error;
      return finish({ code, message });
    }
  },
  leave: () => joined().leave(),
};

function fail(message: string): never {
  throw new Error(message);
}

window.peerlaneTest = api;
