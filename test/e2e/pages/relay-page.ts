/**
 * The relay page: the SDK with transport options (forced relay, fallback, TURN), reporting
 * `peer.transport` and `transport-change`. Runs in the browser.
 */
import type * as Peerlane from '../../../sdk/index.js';
import { Inbox, now, sha256Hex, signalingUrl } from './page-kit.js';
import { patternBytes } from './pattern.js';
import type { RelayPageApi } from './relay-api.js';

const BUNDLE_URL = '/peerlane.js';
const { joinRoom } = (await import(BUNDLE_URL)) as typeof Peerlane;

const texts = new Inbox<{ from: string; text: string; at: number }>();
const files = new Inbox<Peerlane.IncomingFile>();
const changes: string[] = [];
let peerConnections = 0;
/** The browser's WebRTC classes, with RTCPeerConnection counting what it makes. */
class CountingPeerConnection extends RTCPeerConnection {
  constructor(config?: RTCConfiguration) {
    super(config);
    peerConnections += 1;
  }
}
const wrtc = { RTCPeerConnection: CountingPeerConnection, RTCSessionDescription, RTCIceCandidate };
let room: Peerlane.Room | undefined;

function peer(id: string): Peerlane.RemotePeer {
  const found = room?.peer(id);
  if (!found) throw new Error(`peer ${id} is not in the room`);
  return found;
}

const api: RelayPageApi = {
  async join(name, options) {
    const startedAt = now();
    const joined = await joinRoom({ url: signalingUrl(), room: name, wrtc, ...options });
    room = joined;
    joined.on('message', (data, remote) => {
      if (typeof data === 'string') texts.push({ from: remote.id, text: data, at: now() });
    });
    joined.on('transport-change', (remote, transport) => changes.push(`${remote.id} ${transport}`));
    joined.on('incoming-file', (incoming) => files.push(incoming));
    joined.on('error', (error) => console.error(`peerlane error ${error.code}: ${error.message}`));
    return { selfId: joined.selfId, startedAt };
  },
  peer(id) {
    const remote = peer(id);
    return { transport: remote.transport ?? null, state: remote.state };
  },
  async waitForTransport(id, transport, timeoutMs = 10_000) {
    const deadline = now() + timeoutMs;
    while (room?.peer(id)?.transport !== transport) {
      if (now() > deadline)
        throw new Error(`peer ${id} not on ${transport} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  },
  transportChanges: () => [...changes],
  peerConnections: () => peerConnections,
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
  async receiveFile(timeoutMs = 60_000) {
    const incoming = await files.take('an incoming file', timeoutMs);
    const blob = await incoming.accept().done;
    const data = new Uint8Array(await blob.arrayBuffer());
    return { from: incoming.from.id, byteLength: data.byteLength, sha256: await sha256Hex(data) };
  },
};

window.peerlaneTest = api;
