/**
 * The raw page: WebRTC with nothing but `RTCPeerConnection` and the Peerlane wire protocol.
 * It is the baseline of the SDK join benchmark and the harness's own self-test, so it does
 * the textbook handshake and nothing more. Runs in the browser.
 */
import type { ClientFrame, ServerFrame, SignalData } from '../../../signaling/protocol.js';
import type { ChannelOpen, RawPageApi, TextMessage } from './api.js';
import { Inbox, now, signalingUrl, within } from './page-kit.js';

type Welcome = Extract<ServerFrame, { type: 'welcome' }>;

interface Link {
  pc: RTCPeerConnection;
  channel?: RTCDataChannel;
  /** Signals from this peer are applied one after another, in arrival order. */
  queue: Promise<void>;
}

const links = new Map<string, Link>();
const opens = new Inbox<ChannelOpen>();
const messages = new Inbox<TextMessage>();
const welcomes = new Inbox<Welcome>();
const candidates: string[] = [];
let socket: WebSocket | undefined;

function sendFrame(frame: ClientFrame): void {
  socket?.send(JSON.stringify(frame));
}

function localSdp(pc: RTCPeerConnection): string {
  const sdp = pc.localDescription?.sdp;
  if (sdp === undefined) throw new Error('no local description after setLocalDescription');
  return sdp;
}

function link(peerId: string): Link {
  let existing = links.get(peerId);
  if (existing) return existing;
  const pc = new RTCPeerConnection({ iceServers: [] });
  existing = { pc, queue: Promise.resolve() };
  links.set(peerId, existing);
  pc.onicecandidate = ({ candidate }) => {
    if (!candidate?.candidate) return;
    candidates.push(candidate.candidate);
    const { sdpMid, sdpMLineIndex } = candidate;
    sendFrame({
      type: 'signal',
      to: peerId,
      data: {
        type: 'candidate',
        candidate: { candidate: candidate.candidate, sdpMid, sdpMLineIndex },
      },
    });
  };
  pc.ondatachannel = ({ channel }) => wire(peerId, channel);
  return existing;
}

function wire(peerId: string, channel: RTCDataChannel): void {
  const entry = link(peerId);
  entry.channel = channel;
  channel.binaryType = 'arraybuffer';
  channel.onopen = () => opens.push({ peerId, at: now() });
  channel.onmessage = ({ data }) => {
    if (typeof data === 'string') messages.push({ from: peerId, text: data });
  };
}

async function offer(peerId: string): Promise<void> {
  const { pc } = link(peerId);
  wire(peerId, pc.createDataChannel('data'));
  await pc.setLocalDescription(await pc.createOffer());
  sendFrame({ type: 'signal', to: peerId, data: { type: 'offer', sdp: localSdp(pc) } });
}

async function apply(peerId: string, data: SignalData): Promise<void> {
  const { pc } = link(peerId);
  if (data.type === 'offer') {
    await pc.setRemoteDescription({ type: 'offer', sdp: data.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    sendFrame({ type: 'signal', to: peerId, data: { type: 'answer', sdp: localSdp(pc) } });
  } else if (data.type === 'answer') {
    await pc.setRemoteDescription({ type: 'answer', sdp: data.sdp });
  } else if (data.type === 'candidate') {
    const { candidate, sdpMid, sdpMLineIndex } = data.candidate;
    await pc.addIceCandidate({
      candidate,
      sdpMid: sdpMid ?? null,
      sdpMLineIndex: sdpMLineIndex ?? null,
    });
  }
}

function onFrame(event: MessageEvent): void {
  // The server validates what it forwards; this page trusts it and only checks the shape.
  const frame = JSON.parse(String(event.data)) as ServerFrame;
  if (frame.type === 'welcome') welcomes.push(frame);
  else if (frame.type === 'signal') {
    const entry = link(frame.from);
    entry.queue = entry.queue
      .then(() => apply(frame.from, frame.data))
      .catch((error: unknown) => console.error(`raw page: signal from ${frame.from}:`, error));
  } else if (frame.type === 'error')
    console.error(`raw page: server error ${frame.code}: ${frame.message}`);
}

const api: RawPageApi = {
  async join(room) {
    const startedAt = now();
    const ws = new WebSocket(signalingUrl());
    socket = ws;
    ws.onmessage = onFrame;
    await within(
      new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error('WebSocket failed to open'));
      }),
      5000,
      'signaling WebSocket open',
    );
    sendFrame({ type: 'join', room });
    const welcome = await welcomes.take('welcome', 5000);
    const peers = welcome.peers.map((p) => p.id);
    for (const peerId of peers) {
      const entry = link(peerId);
      entry.queue = entry.queue.then(() => offer(peerId));
    }
    return { peerId: welcome.peerId, peers, startedAt };
  },
  firstOpen: (timeoutMs = 10_000) => opens.first('a data channel to open', timeoutMs),
  waitForOpen: (peerId, timeoutMs = 10_000) =>
    opens.first(`the data channel to ${peerId} to open`, timeoutMs, (o) => o.peerId === peerId),
  send(peerId, text) {
    const channel = links.get(peerId)?.channel;
    if (channel?.readyState !== 'open') throw new Error(`no open data channel to ${peerId}`);
    channel.send(text);
  },
  nextMessage: (timeoutMs = 5000) => messages.take('a text message', timeoutMs),
  localCandidates: () => [...candidates],
  leave() {
    for (const { pc } of links.values()) pc.close();
    links.clear();
    socket?.close();
  },
};

window.peerlaneTest = api;
