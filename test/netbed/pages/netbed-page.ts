/**
 * The bed's SDK page: joins a room with the options a cell gives, greets every peer the
 * moment it appears, and reports what the SDK says about the path, files and media. Served
 * by the Peerlane server under test; runs in the browser.
 */
import type * as Peerlane from '../../../sdk/index.js';
import { Inbox, now, sha256Hex, within } from '../../e2e/pages/page-kit.js';
import { patternBytes } from '../../e2e/pages/pattern.js';
import type { Arrival, NetbedPageApi, WatchedFile } from './netbed-api.js';
import { TileWatch } from './tile-watch.js';

const BUNDLE_URL = '/peerlane.js';
const { joinRoom } = (await import(BUNDLE_URL)) as typeof Peerlane;

const texts = new Inbox<Arrival>();
const files = new Inbox<Peerlane.IncomingFile>();
const peers = new Inbox<string>();
const changes: string[] = [];
const streams: string[] = [];
const mediaChanges: string[] = [];
/** Each remote peer's tile, as an app shows it: every `stream` event's stream in a `<video>`. */
const tiles = new Map<string, TileWatch>();
function tileOf(peerId: string): TileWatch {
  let found = tiles.get(peerId);
  if (!found) {
    found = new TileWatch({ stamps: false });
    tiles.set(peerId, found);
  }
  return found;
}
/** What the page's RTCPeerConnections did, for failure messages: candidates, errors, states. */
const iceLog: string[] = [];
const peerConnections: RTCPeerConnection[] = [];
/** The browser's RTCPeerConnection, recording into {@link iceLog}. */
class LoggedPeerConnection extends RTCPeerConnection {
  constructor(config?: RTCConfiguration) {
    super(config);
    peerConnections.push(this);
    const n = iceLog.filter((line) => line.startsWith('pc ')).length + 1;
    iceLog.push(`pc ${n} @${since()}: ${JSON.stringify(config?.iceServers?.map((s) => s.urls))}`);
    this.addEventListener('icecandidate', ({ candidate }) => {
      if (candidate) iceLog.push(`pc ${n} candidate ${candidate.candidate}`);
    });
    this.addEventListener('icecandidateerror', (event) => {
      const { errorCode, url } = event as RTCPeerConnectionIceErrorEvent;
      iceLog.push(`pc ${n} candidate error ${errorCode} ${url}`);
    });
    this.addEventListener('iceconnectionstatechange', () => {
      iceLog.push(`pc ${n} ice ${this.iceConnectionState} @${since()}`);
    });
  }
}
const wrtc = { RTCPeerConnection: LoggedPeerConnection, RTCSessionDescription, RTCIceCandidate };
let room: Peerlane.Room | undefined;
let joinedAt = 0;
let outgoing:
  | { transfer: Peerlane.FileTransfer; byteLength: number; sha256: Promise<string> }
  | undefined;
/** The watched incoming file: progress samples (time, bytes) whenever bytes grew. */
let watched:
  | {
      samples: Array<[number, number]>;
      done: Promise<{ from: string; bytes: Uint8Array<ArrayBuffer> }>;
    }
  | undefined;

const since = () => Math.round(now() - joinedAt);

function joined(): Peerlane.Room {
  if (!room) throw new Error('call join() first');
  return room;
}

function peer(id: string): Peerlane.RemotePeer {
  const found = joined().peer(id);
  if (!found) throw new Error(`peer ${id} is not in the room`);
  return found;
}

async function untilTrue(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!check()) {
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function summary(from: string, data: Uint8Array<ArrayBuffer>) {
  return { from, byteLength: data.byteLength, sha256: await sha256Hex(data) };
}

const api: NetbedPageApi = {
  async join(name, options, greeting) {
    const startedAt = now();
    joinedAt = startedAt;
    const greet = (remote: Peerlane.RemotePeer) => {
      peers.push(remote.id);
      remote.send(greeting);
    };
    const joining = await joinRoom({ url: signaling(), room: name, wrtc, ...options });
    room = joining;
    joining.on('peer-joined', greet);
    joining.on('message', (data, remote) => {
      if (typeof data === 'string') texts.push({ from: remote.id, text: data, at: now() });
    });
    joining.on('transport-change', (_, transport) => changes.push(`${transport}@${since()}`));
    joining.on('incoming-file', (incoming) => files.push(incoming));
    joining.on('stream', (stream, remote) => {
      streams.push(`stream ${remote.id} @${since()}`);
      tileOf(remote.id).attach(stream);
    });
    joining.on('stream-ended', (_, remote) => streams.push(`ended ${remote.id} @${since()}`));
    joining.on('media-change', (_, media) =>
      mediaChanges.push(`${media.state}${'reason' in media ? ` ${media.reason}` : ''}@${since()}`),
    );
    joining.on('error', (error) => console.warn(`peerlane error ${error.code}: ${error.message}`));
    for (const remote of joining.peers) greet(remote);
    return { selfId: joining.selfId, startedAt };
  },
  firstPeer: (timeoutMs) => peers.first('another peer', timeoutMs),
  nextMessage: (timeoutMs) => texts.take('a text message', timeoutMs),
  send(id, text) {
    peer(id).send(text);
  },
  peer(id) {
    const remote = peer(id);
    return { transport: remote.transport ?? null, state: remote.state };
  },
  async waitForTransport(id, transport, timeoutMs) {
    await untilTrue(
      () => room?.peer(id)?.transport === transport,
      `peer on ${transport}`,
      timeoutMs,
    );
    return now();
  },
  transportChanges: () => [...changes],
  async pathStats(id) {
    const stats = await peer(id).getStats();
    return {
      transport: stats.transport,
      pairType: stats.pairType,
      local: stats.localCandidateType ?? null,
      remote: stats.remoteCandidateType ?? null,
      relayProtocol: stats.relayProtocol ?? null,
    };
  },
  async sendFile(id, byteLength, seed) {
    const data = patternBytes(byteLength, seed);
    await peer(id).sendFile(new Blob([data]), { name: 'pattern.bin' }).done;
    return summary(joined().selfId, data);
  },
  async receiveFile(timeoutMs) {
    const incoming = await files.take('an incoming file', timeoutMs);
    const blob = await within(incoming.accept().done, timeoutMs, 'the incoming file');
    return summary(incoming.from.id, new Uint8Array(await blob.arrayBuffer()));
  },
  startFile(id, byteLength, seed) {
    const data = patternBytes(byteLength, seed);
    const transfer = peer(id).sendFile(new Blob([data]), { name: 'pattern.bin' });
    outgoing = { transfer, byteLength, sha256: sha256Hex(data) };
  },
  async fileDone(timeoutMs) {
    if (!outgoing) throw new Error('no file was started');
    const { transfer, byteLength, sha256 } = outgoing;
    await within(transfer.done, timeoutMs, 'the started file to be verified');
    return { from: joined().selfId, byteLength, sha256: await sha256 };
  },
  async watchIncoming(timeoutMs) {
    const incoming = await files.take('an incoming file', timeoutMs);
    const receiving = incoming.accept();
    const samples: Array<[number, number]> = [];
    const sampler = setInterval(() => {
      const bytes = receiving.progress.bytesTransferred;
      if (bytes > (samples.at(-1)?.[1] ?? 0)) samples.push([now(), bytes]);
    }, 10);
    const done = receiving.done
      .then(async (blob) => ({
        from: incoming.from.id,
        bytes: new Uint8Array(await blob.arrayBuffer()),
      }))
      .finally(() => clearInterval(sampler));
    done.catch(() => {});
    watched = { samples, done };
  },
  watchedBytes: () => watched?.samples.at(-1)?.[1] ?? 0,
  async watchedDone(after, timeoutMs) {
    if (!watched) throw new Error('no incoming file is watched');
    const { samples } = watched;
    const { from, bytes } = await within(watched.done, timeoutMs, 'the watched file');
    const doneAt = now();
    let longestStallMs = 0;
    let longestStallFrom = 0;
    for (let i = 1; i < samples.length; i++) {
      const [at] = samples[i] as [number, number];
      const [before] = samples[i - 1] as [number, number];
      if (at > after && at - before > longestStallMs) {
        longestStallMs = at - before;
        longestStallFrom = before;
      }
    }
    const result: WatchedFile = {
      ...(await summary(from, bytes)),
      firstByteAt: samples[0]?.[0] ?? doneAt,
      doneAt,
      longestStallMs: Math.round(longestStallMs),
      longestStallFrom,
    };
    return result;
  },
  async publishCamera() {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    joined().media.publish(stream);
  },
  streamEvents: () => [...streams],
  media(id) {
    const media = peer(id).media;
    return {
      state: media.state,
      reason: 'reason' in media ? media.reason : null,
      route: 'route' in media ? media.route : null,
    };
  },
  mediaChanges: () => [...mediaChanges],
  async waitForMedia(id, state, timeoutMs) {
    await untilTrue(() => room?.peer(id)?.media.state === state, `media ${state}`, timeoutMs).catch(
      () => {},
    );
    return api.media(id);
  },
  tile: (id) => tileOf(id).figures(),
  resetTile(id) {
    tileOf(id).reset();
  },
  async framesFrom(id) {
    return (await peer(id).getStats()).inbound.video?.frames ?? 0;
  },
  iceLog: () => [...iceLog],
  async candidatePairs() {
    const lines: string[] = [];
    for (const [n, pc] of peerConnections.entries()) {
      const report = await pc.getStats();
      const describe = (id: string) => {
        const c = report.get(id);
        return c
          ? `${c.candidateType}/${c.relayProtocol ?? c.protocol} ${c.address}:${c.port}`
          : id;
      };
      for (const stat of report.values()) {
        if (stat.type !== 'candidate-pair') continue;
        lines.push(
          `pc ${n + 1} ${describe(stat.localCandidateId)} → ${describe(stat.remoteCandidateId)}: ` +
            `${stat.state}${stat.nominated ? ' nominated' : ''}, requests ${stat.requestsSent}/${stat.responsesReceived} answered, ` +
            `${stat.requestsReceived} received`,
        );
      }
    }
    return lines;
  },
  now,
  async leave() {
    await room?.leave();
  },
};

/** The signaling URL: the page's own server (`ws://host/ws`). */
function signaling(): string {
  return `ws://${location.host}/ws`;
}

window.peerlaneNetbed = api;
