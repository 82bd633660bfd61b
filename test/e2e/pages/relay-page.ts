/**
 * The relay page: the SDK with transport options (forced relay, fallback, TURN), reporting
 * `peer.transport` and `transport-change`; it can cut its own RTCPeerConnections and runs
 * numbered message streams. Runs in the browser.
 */
import type * as Peerlane from '../../../sdk/index.js';
import { Inbox, now, sha256Hex, signalingUrl, untilTrue, within } from './page-kit.js';
import { patternBytes } from './pattern.js';
import type { RelayPageApi, StreamSummary } from './relay-api.js';

const BUNDLE_URL = '/peerlane.js';
const { joinRoom } = (await import(BUNDLE_URL)) as typeof Peerlane;

/** Stream messages start with this; other texts go to `nextMessage`. */
const STREAM_MARK = '#';
const texts = new Inbox<{ from: string; text: string; at: number }>();
const files = new Inbox<Peerlane.IncomingFile>();
const changes: Array<{ text: string; at: number }> = [];
const mediaChanges: string[] = [];
const errorCodes: string[] = [];
const connections: RTCPeerConnection[] = [];
const iceErrors: number[] = [];
const gathered: string[] = [];
/** The browser's WebRTC classes, with RTCPeerConnection recording what it makes. */
class CountingPeerConnection extends RTCPeerConnection {
  constructor(config?: RTCConfiguration) {
    super(config);
    connections.push(this);
    this.addEventListener('icecandidateerror', (event) => {
      iceErrors.push((event as RTCPeerConnectionIceErrorEvent).errorCode);
    });
    this.addEventListener('icecandidate', ({ candidate }) => {
      if (candidate) gathered.push(candidate.type ?? '?');
    });
  }
}
const wrtc = { RTCPeerConnection: CountingPeerConnection, RTCSessionDescription, RTCIceCandidate };
let room: Peerlane.Room | undefined;

function peer(id: string): Peerlane.RemotePeer {
  const found = room?.peer(id);
  if (!found) throw new Error(`peer ${id} is not in the room`);
  return found;
}

/** The file from `startFile`. */
let outgoing:
  | { transfer: Peerlane.FileTransfer; byteLength: number; sha256: Promise<string> }
  | undefined;

/** The outgoing stream and what arrived of the incoming one. */
let pump: ReturnType<typeof setInterval> | undefined;
let sent = 0;
const stream: number[] = [];
let streamWaker = () => {};

function summary(): StreamSummary {
  const outOfPlace: string[] = [];
  for (let i = 0; i < stream.length && outOfPlace.length < 5; i++) {
    if (stream[i] !== i + 1) outOfPlace.push(`${i}: ${stream[i]}`);
  }
  return { received: stream.length, outOfPlace };
}

const api: RelayPageApi = {
  async join(name, options) {
    const startedAt = now();
    const joined = await joinRoom({ url: signalingUrl(), room: name, wrtc, ...options });
    room = joined;
    joined.on('message', (data, remote) => {
      if (typeof data !== 'string') return;
      if (data.startsWith(STREAM_MARK)) {
        stream.push(Number.parseInt(data.slice(STREAM_MARK.length), 10));
        streamWaker();
      } else texts.push({ from: remote.id, text: data, at: now() });
    });
    joined.on('transport-change', (remote, transport) =>
      changes.push({ text: `${remote.id} ${transport}`, at: now() }),
    );
    joined.on('media-change', (remote, media) =>
      mediaChanges.push(
        `${remote.id} ${media.state} ${media.state === 'unavailable' ? media.reason : media.state === 'available' ? media.route : ''}`.trim(),
      ),
    );
    joined.on('incoming-file', (incoming) => files.push(incoming));
    joined.on('error', (error) => {
      errorCodes.push(`${error.code} ${error.peerId}`);
      console.error(`peerlane error ${error.code}: ${error.message}`);
    });
    return { selfId: joined.selfId, startedAt };
  },
  peer(id) {
    const remote = peer(id);
    return { transport: remote.transport ?? null, state: remote.state };
  },
  async waitForTransport(id, transport, timeoutMs = 10_000) {
    await untilTrue(
      () => room?.peer(id)?.transport === transport,
      `peer ${id} on ${transport}`,
      timeoutMs,
    );
    const change = changes.findLast((c) => c.text === `${id} ${transport}`);
    return change?.at ?? now();
  },
  transportChanges: () => changes.map((c) => c.text),
  async waitForMediaState(id, state, timeoutMs = 10_000) {
    await untilTrue(() => room?.peer(id)?.media.state === state, `media ${state}`, timeoutMs);
    return { ...peer(id).media };
  },
  mediaChanges: () => [...mediaChanges],
  async safetyNumber(id) {
    return (await peer(id).safetyNumber()) ?? null;
  },
  errorCodes: () => [...errorCodes],
  peerConnections: () => connections.length,
  closePeerConnections() {
    const open = connections.filter((pc) => pc.connectionState !== 'closed');
    for (const pc of open) pc.close();
    return open.length;
  },
  iceCandidateErrors: () => [...iceErrors],
  gatheredCandidates: () => [...gathered],
  async candidatePath(id) {
    const stats = await peer(id).getStats();
    return {
      path: stats.pairType,
      local: stats.localCandidateType ?? null,
      remote: stats.remoteCandidateType ?? null,
      relayProtocol: stats.relayProtocol ?? null,
    };
  },
  send(id, text) {
    peer(id).send(text);
  },
  nextMessage: (timeoutMs = 10_000) => texts.take('a text message', timeoutMs),
  async sendFile(id, byteLength, seed) {
    const data = patternBytes(byteLength, seed);
    const transfer = peer(id).sendFile(new Blob([data]), { name: 'pattern.bin' });
    await transfer.done;
    return { from: room?.selfId ?? '', byteLength, sha256: await sha256Hex(data) };
  },
  startFile(id, byteLength, seed) {
    const data = patternBytes(byteLength, seed);
    const transfer = peer(id).sendFile(new Blob([data]), { name: 'pattern.bin' });
    outgoing = { transfer, byteLength, sha256: sha256Hex(data) };
  },
  fileProgress: () => outgoing?.transfer.progress.bytesConfirmed ?? 0,
  async fileDone(timeoutMs = 60_000) {
    if (!outgoing) throw new Error('no file was started');
    const { transfer, byteLength, sha256 } = outgoing;
    await within(transfer.done, timeoutMs, 'the started file to be verified');
    return { from: room?.selfId ?? '', byteLength, sha256: await sha256 };
  },
  async receiveFile(timeoutMs = 60_000) {
    const incoming = await files.take('an incoming file', timeoutMs);
    const blob = await incoming.accept().done;
    const data = new Uint8Array(await blob.arrayBuffer());
    return { from: incoming.from.id, byteLength: data.byteLength, sha256: await sha256Hex(data) };
  },
  startStream(id, perTick, bigBytes) {
    const remote = peer(id);
    pump = setInterval(() => {
      for (let i = 0; i < perTick; i++) {
        sent += 1;
        remote.send(
          sent % 50 === 0
            ? `${STREAM_MARK}${sent} ${'x'.repeat(bigBytes)}`
            : `${STREAM_MARK}${sent}`,
        );
      }
    }, 10);
  },
  stopStream() {
    clearInterval(pump);
    return sent;
  },
  streamReceived: summary,
  async waitForStream(count, timeoutMs = 10_000) {
    const arrived = new Promise<void>((resolve) => {
      streamWaker = () => {
        if (stream.length >= count) resolve();
      };
      streamWaker();
    });
    await within(arrived, timeoutMs, `${count} stream messages (have ${stream.length})`).finally(
      () => {
        streamWaker = () => {};
      },
    );
    return summary();
  },
};

window.peerlaneTest = api;
