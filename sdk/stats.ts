/**
 * Per-peer statistics from `RTCPeerConnection.getStats()`: which path the connection
 * uses, round-trip time, bitrates, and RTP counters per media kind.
 */

/**
 * Which ICE path carries the connection, from the selected candidate pair:
 * - `host`: straight between the two machines' own addresses (LAN, loopback);
 * - `srflx`: through NAT, found with STUN (server- or peer-reflexive candidates);
 * - `relay`: through a TURN server;
 * - `unknown`: no pair selected yet (still connecting, or reconnecting).
 */
export type CandidatePath = 'host' | 'srflx' | 'relay' | 'unknown';

/**
 * What the numbers describe: `webrtc`, the RTCPeerConnection to the peer (its ICE path is
 * `path`); or `relay`, when the peer is reached through the signaling server's WebSocket
 * relay (`peer.transport === 'relay'`): there is no ICE path, RTT or RTP then, only the
 * fact. Code that switches on it should treat any value but `webrtc` as "not WebRTC".
 */
export type StatsTransport = 'webrtc' | 'relay';

/** RTP counters of one media kind in one direction. */
export interface RtpCounts {
  packets: number;
  bytes: number;
  /** Inbound: packets that never arrived (RTP sequence gaps), so far. Undefined outbound. */
  packetsLost: number | undefined;
  /** Video: frames decoded (inbound) or sent (outbound). Undefined for audio. */
  frames: number | undefined;
  /** Video: the resolution of the last frame, when known. */
  frameWidth: number | undefined;
  frameHeight: number | undefined;
}

/** A snapshot of one peer connection, as `peer.getStats()` returns it. */
export interface PeerStats {
  /** When the snapshot was taken (ms, the browser's stats clock). */
  timestamp: number;
  transport: StatsTransport;
  path: CandidatePath;
  /** Candidate types of the selected pair, as WebRTC names them (`host`, `srflx`, `prflx`, `relay`). */
  localCandidateType: string | undefined;
  remoteCandidateType: string | undefined;
  /** For `relay`: how this side reaches the TURN server (`udp`, `tcp`, `tls`). */
  relayProtocol: string | undefined;
  /** Current round-trip time of the selected pair, in ms (STUN consent checks). */
  rttMs: number | undefined;
  /**
   * Incoming and outgoing bitrate of everything on the connection (data and media), in
   * kbit/s, since the previous `getStats()` of this peer; undefined on the first call.
   */
  bitrateInKbps: number | undefined;
  bitrateOutKbps: number | undefined;
  /** Bytes received and sent on the connection so far. */
  bytesReceived: number;
  bytesSent: number;
  /** What arrives from the peer, per kind (absent: nothing of that kind is negotiated). */
  inbound: { audio?: RtpCounts; video?: RtpCounts };
  /** What is sent to the peer, per kind. */
  outbound: { audio?: RtpCounts; video?: RtpCounts };
}

type Report = Record<string, unknown> & { id: string; type: string; timestamp: number };

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Takes {@link PeerStats} snapshots of one connection, remembering the previous one for
 * the bitrates.
 */
export class StatsSampler {
  #previous: { timestamp: number; bytesReceived: number; bytesSent: number } | undefined;

  constructor(private readonly connection: () => RTCPeerConnection | undefined) {}

  /** A snapshot now, or undefined when the connection is closed. */
  async sample(): Promise<PeerStats | undefined> {
    const pc = this.connection();
    if (!pc) return undefined;
    const reports = new Map<string, Report>();
    (await pc.getStats()).forEach((report: Report) => {
      reports.set(report.id, report);
    });
    const stats = summarize(reports);
    const previous = this.#previous;
    if (previous && stats.timestamp > previous.timestamp) {
      const ms = stats.timestamp - previous.timestamp;
      // bits per ms = kbit/s; a counter that went back (new transport) gives no rate.
      const rate = (now: number, then: number) =>
        now >= then ? Math.round(((now - then) * 8) / ms) : undefined;
      stats.bitrateInKbps = rate(stats.bytesReceived, previous.bytesReceived);
      stats.bitrateOutKbps = rate(stats.bytesSent, previous.bytesSent);
    }
    this.#previous = {
      timestamp: stats.timestamp,
      bytesReceived: stats.bytesReceived,
      bytesSent: stats.bytesSent,
    };
    return stats;
  }
}

/** The stats of a peer reached through the server's relay: nothing WebRTC measures applies. */
export function relayStats(): PeerStats {
  return {
    timestamp: Date.now(),
    transport: 'relay',
    path: 'unknown',
    localCandidateType: undefined,
    remoteCandidateType: undefined,
    relayProtocol: undefined,
    rttMs: undefined,
    bitrateInKbps: undefined,
    bitrateOutKbps: undefined,
    bytesReceived: 0,
    bytesSent: 0,
    inbound: {},
    outbound: {},
  };
}

/** Reads a `getStats()` report into {@link PeerStats} (bitrates left undefined). */
export function summarize(reports: ReadonlyMap<string, Report>): PeerStats {
  const all = [...reports.values()];
  const transport = all.find((r) => r.type === 'transport' && str(r.selectedCandidatePairId));
  const pair =
    reports.get(str(transport?.selectedCandidatePairId) ?? '') ??
    // Without transport stats (some implementations): the nominated pair that works.
    all.find((r) => r.type === 'candidate-pair' && r.nominated === true && r.state === 'succeeded');
  const local = reports.get(str(pair?.localCandidateId) ?? '');
  const remote = reports.get(str(pair?.remoteCandidateId) ?? '');
  const localType = str(local?.candidateType);
  const remoteType = str(remote?.candidateType);
  const counters = transport ?? pair;
  const rtt = num(pair?.currentRoundTripTime);
  const stats: PeerStats = {
    timestamp: num(counters?.timestamp) ?? Date.now(),
    transport: 'webrtc',
    path: pathOf(localType, remoteType),
    localCandidateType: localType,
    remoteCandidateType: remoteType,
    relayProtocol: localType === 'relay' ? str(local?.relayProtocol) : undefined,
    rttMs: rtt === undefined ? undefined : Math.round(rtt * 10_000) / 10,
    bitrateInKbps: undefined,
    bitrateOutKbps: undefined,
    bytesReceived: num(counters?.bytesReceived) ?? 0,
    bytesSent: num(counters?.bytesSent) ?? 0,
    inbound: {},
    outbound: {},
  };
  for (const report of all) {
    const inbound = report.type === 'inbound-rtp';
    if (!inbound && report.type !== 'outbound-rtp') continue;
    const kind = report.kind;
    if (kind !== 'audio' && kind !== 'video') continue;
    const counts: RtpCounts = {
      packets: num(inbound ? report.packetsReceived : report.packetsSent) ?? 0,
      bytes: num(inbound ? report.bytesReceived : report.bytesSent) ?? 0,
      packetsLost: inbound ? (num(report.packetsLost) ?? 0) : undefined,
      frames:
        kind === 'video' ? num(inbound ? report.framesDecoded : report.framesSent) : undefined,
      frameWidth: num(report.frameWidth),
      frameHeight: num(report.frameHeight),
    };
    const side = inbound ? stats.inbound : stats.outbound;
    side[kind] = add(side[kind], counts);
  }
  return stats;
}

/** The path of a candidate pair: the "furthest" of its two ends. */
function pathOf(local: string | undefined, remote: string | undefined): CandidatePath {
  if (local === undefined || remote === undefined) return 'unknown';
  if (local === 'relay' || remote === 'relay') return 'relay';
  if (local === 'host' && remote === 'host') return 'host';
  return 'srflx';
}

/** Two RTP streams of one kind (e.g. after a transceiver was added twice) count as one. */
function add(a: RtpCounts | undefined, b: RtpCounts): RtpCounts {
  if (!a) return b;
  const frames = a.frames === undefined && b.frames === undefined;
  return {
    packets: a.packets + b.packets,
    bytes: a.bytes + b.bytes,
    packetsLost:
      a.packetsLost === undefined && b.packetsLost === undefined
        ? undefined
        : (a.packetsLost ?? 0) + (b.packetsLost ?? 0),
    frames: frames ? undefined : (a.frames ?? 0) + (b.frames ?? 0),
    frameWidth: b.frameWidth ?? a.frameWidth,
    frameHeight: b.frameHeight ?? a.frameHeight,
  };
}
