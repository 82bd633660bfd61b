/**
 * The SDK page: drives `joinRoom` from the browser bundle the way an application would,
 * and records what the room reports for the harness to wait on. Runs in the browser.
 */
import type * as Peerlane from '../../../sdk/index.js';
import type { ChannelOpen, PeerSummary, SdkPageApi, TextMessage } from './api.js';
import { Inbox, now, sha256Hex, signalingUrl } from './page-kit.js';
import { patternBytes } from './pattern.js';
import type { BytesSummary } from './summary.js';

// A run-time URL, not a module specifier: the page loads the built bundle, as an app would.
const BUNDLE_URL = '/peerlane.js';
const globalsBefore = new Set(Object.getOwnPropertyNames(globalThis));
const { joinRoom } = (await import(BUNDLE_URL)) as typeof Peerlane;
/** Globals that loading the bundle created (`process`, `Buffer`… would be a leak). */
const globalsAdded = Object.getOwnPropertyNames(globalThis).filter((n) => !globalsBefore.has(n));

const opens = new Inbox<ChannelOpen>();
const joined = new Inbox<PeerSummary>();
const left = new Inbox<{ id: string; reason: string }>();
const texts = new Inbox<TextMessage>();
const bytes = new Inbox<{ from: string; data: Uint8Array<ArrayBuffer> }>();
let room: Peerlane.Room | undefined;

function summary(peer: Peerlane.RemotePeer): PeerSummary {
  return { id: peer.id, meta: { ...peer.meta }, state: peer.state };
}

function joinedRoom(): Peerlane.Room {
  if (!room) throw new Error('call join() first');
  return room;
}

function peer(id: string): Peerlane.RemotePeer {
  const found = joinedRoom().peer(id);
  if (!found) throw new Error(`peer ${id} is not in the room`);
  return found;
}

const api: SdkPageApi = {
  async join(name, { meta } = {}) {
    const startedAt = now();
    const joining = await joinRoom({ url: signalingUrl(), room: name, ...(meta ? { meta } : {}) });
    room = joining;
    joining.on('connection-state', (remote, state) => {
      if (state === 'connected') opens.push({ peerId: remote.id, at: now() });
    });
    // A connection that opened before these listeners existed is still reported.
    for (const remote of joining.peers) {
      if (remote.state === 'connected') opens.push({ peerId: remote.id, at: now() });
    }
    joining.on('peer-joined', (remote) => joined.push(summary(remote)));
    joining.on('peer-left', (remote, reason) => left.push({ id: remote.id, reason }));
    joining.on('message', (data, remote) => {
      if (typeof data === 'string') texts.push({ from: remote.id, text: data });
      else bytes.push({ from: remote.id, data: new Uint8Array(data) });
    });
    joining.on('error', (error) => console.error(`peerlane error ${error.code}: ${error.message}`));
    return { selfId: joining.selfId, peers: joining.peers.map(summary), startedAt };
  },
  peers: () => joinedRoom().peers.map(summary),
  firstOpen: (timeoutMs = 10_000) => opens.first('a peer connection to open', timeoutMs),
  waitForOpen: (peerId, timeoutMs = 10_000) =>
    opens.first(`the connection to ${peerId} to open`, timeoutMs, (o) => o.peerId === peerId),
  nextPeerJoined: (timeoutMs = 5000) => joined.take('peer-joined', timeoutMs),
  nextPeerLeft: (timeoutMs = 5000) => left.take('peer-left', timeoutMs),
  send(peerId, text) {
    peer(peerId).send(text);
  },
  broadcast(text) {
    joinedRoom().broadcast(text);
  },
  nextMessage: (timeoutMs = 5000) => texts.take('a text message', timeoutMs),
  async sendPattern(peerId, byteLength, seed): Promise<BytesSummary> {
    const data = patternBytes(byteLength, seed);
    peer(peerId).send(data);
    return { from: joinedRoom().selfId, byteLength, sha256: await sha256Hex(data) };
  },
  async nextBytes(timeoutMs = 10_000) {
    const { from, data } = await bytes.take('a binary message', timeoutMs);
    return { from, byteLength: data.byteLength, sha256: await sha256Hex(data) };
  },
  leave: () => joinedRoom().leave(),
  globalsAdded: () => globalsAdded,
};

window.peerlaneTest = api;
