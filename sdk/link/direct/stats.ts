/**
 * Per-peer statistics from `RTCPeerConnection.getStats()`: which path the connection
 * uses, round-trip time, bitrates, and RTP counters per media kind.
 */
import type { PairType, PeerStats, RtpCounts } from '../../api.js';

/** One entry of a `getStats()` report. */
export type StatsEntry = Record<string, unknown> & { id: string; type: string; timestamp: number };

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Bitrates are measured over at least this long; a call sooner answers the last ones. */
export const MIN_RATE_WINDOW_MS = 500;

/**
 * Takes {@link PeerStats} snapshots of one connection, with bitrates measured between
 * samples at least {@link MIN_RATE_WINDOW_MS} apart: several callers (an app's badge and
 * its panel) each get the rate of the last such window, not of the few ms between their
 * calls — or nothing when the browser answered two calls from one cached report.
 */
export class StatsSampler {
  /** The start of the window being measured. */
  #base: { timestamp: number; bytesReceived: number; bytesSent: number } | undefined;
  /** The rates of the last window measured. */
  #rates: Pick<PeerStats, 'bitrateInKbps' | 'bitrateOutKbps'> | undefined;

  constructor(private readonly connection: () => RTCPeerConnection | undefined) {}

  /** A snapshot now, or undefined when the connection is closed. */
  async sample(): Promise<PeerStats | undefined> {
    const pc = this.connection();
    if (!pc) return undefined;
    const stats = summarize(await readStats(pc));
    const base = this.#base;
    const ms = base ? stats.timestamp - base.timestamp : 0;
    if (base && ms < MIN_RATE_WINDOW_MS && ms >= 0) return { ...stats, ...this.#rates };
    if (base && ms > 0) {
      // bits per ms = kbit/s; a counter that went back (new transport) gives no rate.
      const rate = (now: number, then: number) =>
        now >= then ? Math.round(((now - then) * 8) / ms) : undefined;
      this.#rates = {
        bitrateInKbps: rate(stats.bytesReceived, base.bytesReceived),
        bitrateOutKbps: rate(stats.bytesSent, base.bytesSent),
      };
    }
    this.#base = {
      timestamp: stats.timestamp,
      bytesReceived: stats.bytesReceived,
      bytesSent: stats.bytesSent,
    };
    return { ...stats, ...this.#rates };
  }
}

/** While no candidate pair is selected, read the stats again this often, this many times. */
const PATH_READ_MS = 200;
const PATH_READS = 5;

/**
 * What a connection's selected candidate pair goes through: `turn` when either end is a
 * TURN relay candidate, else `direct`. Read again while no pair is selected yet (~1 s).
 */
export async function selectedTransport(
  connection: () => RTCPeerConnection | undefined,
): Promise<'direct' | 'turn'> {
  const sampler = new StatsSampler(connection);
  for (let attempt = 0; attempt < PATH_READS; attempt += 1) {
    const path = await sampler.sample().then(
      (stats) => stats?.pairType ?? 'unknown',
      () => 'unknown' as const,
    );
    if (path !== 'unknown') return path === 'turn' ? 'turn' : 'direct';
    await new Promise((resolve) => setTimeout(resolve, PATH_READ_MS));
  }
  return 'direct';
}

/** The stats of a peer reached through the server's relay: nothing WebRTC measures applies. */
export function relayStats(): PeerStats {
  return {
    timestamp: Date.now(),
    transport: 'relay',
    pairType: 'unknown',
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

/** A connection's `getStats()` report, by entry id. */
export async function readStats(pc: RTCPeerConnection): Promise<Map<string, StatsEntry>> {
  const reports = new Map<string, StatsEntry>();
  (await pc.getStats()).forEach((report: StatsEntry) => {
    reports.set(report.id, report);
  });
  return reports;
}

/** The transport entry that names the selected candidate pair, and that pair. */
export function selectedPair(reports: ReadonlyMap<string, StatsEntry>): {
  transport: StatsEntry | undefined;
  pair: StatsEntry | undefined;
} {
  const all = [...reports.values()];
  const transport = all.find((r) => r.type === 'transport' && str(r.selectedCandidatePairId));
  const pair =
    reports.get(str(transport?.selectedCandidatePairId) ?? '') ??
    // Without transport stats (some implementations): the nominated pair that works.
    all.find((r) => r.type === 'candidate-pair' && r.nominated === true && r.state === 'succeeded');
  return { transport, pair };
}

/** Reads a `getStats()` report into {@link PeerStats} (bitrates left undefined). */
export function summarize(reports: ReadonlyMap<string, StatsEntry>): PeerStats {
  const all = [...reports.values()];
  const { transport, pair } = selectedPair(reports);
  const local = reports.get(str(pair?.localCandidateId) ?? '');
  const remote = reports.get(str(pair?.remoteCandidateId) ?? '');
  const localType = str(local?.candidateType);
  const remoteType = str(remote?.candidateType);
  const [localPath, remotePath] = [resolveType(local, all), resolveType(remote, all)];
  // Each counter from the transport when it has it, else from the selected pair: Firefox's
  // transport report carries no byte counters, its candidate-pair report does.
  const counter = (field: string) => num(transport?.[field]) ?? num(pair?.[field]) ?? 0;
  const rtt = num(pair?.currentRoundTripTime);
  const stats: PeerStats = {
    timestamp: num(transport?.timestamp) ?? num(pair?.timestamp) ?? Date.now(),
    transport: 'webrtc',
    pairType: pairTypeOf(localPath, remotePath),
    path: 'unknown',
    localCandidateType: localType,
    remoteCandidateType: remoteType,
    relayProtocol: localType === 'relay' ? str(local?.relayProtocol) : undefined,
    rttMs: rtt === undefined ? undefined : Math.round(rtt * 10_000) / 10,
    bitrateInKbps: undefined,
    bitrateOutKbps: undefined,
    bytesReceived: counter('bytesReceived'),
    bytesSent: counter('bytesSent'),
    inbound: {},
    outbound: {},
  };
  stats.path = stats.pairType === 'turn' ? 'relay' : stats.pairType;
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

/**
 * What a candidate is. A peer-reflexive (`prflx`) one is an address first seen in a
 * connectivity check, before (or without) the candidate arriving by signaling — common on
 * a LAN or loopback, where checks outrun the trickle (Firefox). So it is the candidate of
 * that side with the same address, port and protocol when there is one (usually a host
 * candidate, or a TURN relay); else a host when the address is one of that side's host
 * addresses, or loopback or link-local (no NAT hands those out); else a NAT's mapping.
 */
function resolveType(
  candidate: StatsEntry | undefined,
  all: readonly StatsEntry[],
): string | undefined {
  const type = str(candidate?.candidateType);
  if (type !== 'prflx' || !candidate) return type;
  const address = addressOf(candidate);
  if (address === undefined) return 'srflx';
  const side = all.filter(
    (r) => r.type === candidate.type && r.candidateType !== 'prflx' && addressOf(r) === address,
  );
  const same = side.find((r) => r.port === candidate.port && r.protocol === candidate.protocol);
  if (same) return str(same.candidateType);
  if (side.some((r) => r.candidateType === 'host') || isLocalAddress(address)) return 'host';
  return 'srflx';
}

/** `address`, or `ip` as older implementations name it. */
const addressOf = (candidate: StatsEntry) => str(candidate.address) ?? str(candidate.ip);

/** Loopback or link-local: an address of the machine itself, never a NAT's. */
function isLocalAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const lower = address.toLowerCase();
  return (
    /^127\./.test(lower) ||
    /^169\.254\./.test(lower) ||
    lower === '::1' ||
    /^fe[89ab][0-9a-f]:/.test(lower)
  );
}

/** The path of a candidate pair: the "furthest" of its two ends. */
function pairTypeOf(local: string | undefined, remote: string | undefined): PairType {
  if (local === undefined || remote === undefined) return 'unknown';
  if (local === 'relay' || remote === 'relay') return 'turn';
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
