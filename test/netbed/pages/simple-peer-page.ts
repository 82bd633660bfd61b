/**
 * The baseline page of `npm run bench connectivity`: raw simple-peer, signalled through
 * the Peerlane server's protocol, given the same ICE servers as the SDK. It has no relay
 * and no reconnect, on purpose: it shows what WebRTC alone does in each cell. Runs in the
 * browser.
 */
import type SimplePeerType from 'simple-peer';
import type { ClientFrame, ServerFrame } from '../../../signaling/protocol.js';
import { Inbox, now, within } from '../../e2e/pages/page-kit.js';
import type { Arrival } from './netbed-api.js';
import type { SimplePeerPageApi } from './simple-peer-api.js';

const SIMPLE_PEER_URL = '/simple-peer.js';
const SimplePeer = ((await import(SIMPLE_PEER_URL)) as { default: typeof SimplePeerType }).default;

type Welcome = Extract<ServerFrame, { type: 'welcome' }>;
const CHUNK = 16 * 1024;
const HIGH_WATER_MARK = 1024 * 1024;

const links = new Map<string, SimplePeerType.Instance>();
const welcomes = new Inbox<Welcome>();
const texts = new Inbox<Arrival>();
const connected = new Inbox<string>();
/** Arrival times of binary chunks and the running total. */
const arrivals: Array<[number, number]> = [];
let socket: WebSocket | undefined;
let settings: { iceServers: RTCIceServer[]; greeting: string } | undefined;

function sendFrame(frame: ClientFrame): void {
  socket?.send(JSON.stringify(frame));
}

function link(peerId: string, initiator: boolean): SimplePeerType.Instance {
  const existing = links.get(peerId);
  if (existing) return existing;
  if (!settings) throw new Error('join() first');
  const { iceServers, greeting } = settings;
  const peer = new SimplePeer({ initiator, trickle: true, config: { iceServers } });
  links.set(peerId, peer);
  peer.on('signal', (data) => {
    sendFrame({
      type: 'signal',
      to: peerId,
      data: data as Extract<ClientFrame, { type: 'signal' }>['data'],
    });
  });
  peer.on('connect', () => {
    connected.push(peerId);
    peer.send(greeting);
  });
  // Strings arrive as strings (the SDK's browser stand-ins), bytes as Uint8Array views.
  peer.on('data', (data: string | Uint8Array | ArrayBuffer) => {
    if (typeof data === 'string') texts.push({ from: peerId, text: data, at: now() });
    else arrivals.push([now(), (arrivals.at(-1)?.[1] ?? 0) + data.byteLength]);
  });
  peer.on('error', (error) => console.warn(`simple-peer ${peerId}: ${error.message}`));
  return peer;
}

function onFrame(event: MessageEvent): void {
  const frame = JSON.parse(String(event.data)) as ServerFrame;
  if (frame.type === 'welcome') welcomes.push(frame);
  else if (frame.type === 'signal')
    link(frame.from, false).signal(frame.data as SimplePeerType.SignalData);
}

const api: SimplePeerPageApi = {
  async join(room, iceServers, greeting) {
    const startedAt = now();
    const ws = new WebSocket(`ws://${location.host}/ws`);
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
    settings = { iceServers: iceServers ?? (welcome.iceServers as RTCIceServer[]), greeting };
    for (const peer of welcome.peers) link(peer.id, true);
    return { selfId: welcome.peerId, startedAt };
  },
  nextMessage: (timeoutMs) => texts.take('a text message', timeoutMs),
  firstConnected: (timeoutMs) => connected.first('a simple-peer connection', timeoutMs),
  startBytes(peerId, byteLength) {
    const peer = links.get(peerId);
    if (!peer) throw new Error(`no connection to ${peerId}`);
    const chunk = new Uint8Array(CHUNK).fill(7);
    let left = byteLength;
    // `peer.send` with simple-peer's `bufferSize` (the channel's bufferedAmount) as
    // back-pressure: its stream interface (`write`/'drain') stalled after 80 KiB here.
    const pump = () => {
      while (left > 0 && peer.bufferSize < HIGH_WATER_MARK) {
        const size = Math.min(CHUNK, left);
        left -= size;
        peer.send(size === CHUNK ? chunk : chunk.subarray(0, size));
      }
      if (left > 0) setTimeout(pump, 5);
    };
    pump();
  },
  receivedBytes: () => arrivals.at(-1)?.[1] ?? 0,
  async bytesDone(byteLength, since, timeoutMs) {
    const deadline = now() + timeoutMs;
    while ((arrivals.at(-1)?.[1] ?? 0) < byteLength && now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const complete = (arrivals.at(-1)?.[1] ?? 0) >= byteLength;
    const end = complete ? (arrivals.at(-1)?.[0] ?? now()) : now();
    let longestStallMs = 0;
    const times = [...arrivals.map(([at]) => at), ...(complete ? [] : [end])];
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] as number) - (times[i - 1] as number);
      if ((times[i] as number) > since && gap > longestStallMs) longestStallMs = gap;
    }
    return {
      firstByteAt: arrivals[0]?.[0] ?? end,
      doneAt: complete ? end : null,
      longestStallMs: Math.round(longestStallMs),
    };
  },
  async pairType(peerId) {
    const pc = (links.get(peerId) as unknown as { _pc?: RTCPeerConnection } | undefined)?._pc;
    if (!pc) return 'none';
    const report = await pc.getStats();
    for (const stat of report.values()) {
      if (stat.type !== 'transport' || !stat.selectedCandidatePairId) continue;
      const pair = report.get(stat.selectedCandidatePairId);
      const local = pair && report.get(pair.localCandidateId);
      if (local)
        return local.candidateType === 'relay'
          ? `relay/${local.relayProtocol}`
          : local.candidateType;
    }
    return 'none';
  },
  now,
};

window.simplePeerNetbed = api;
