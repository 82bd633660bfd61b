import type { ConnectionState, PeerStats, RemotePeer, Room } from '../sdk/index.js';
import type { BadgeKind, CallGrid } from './call-grid.js';

/** How often the badges read each connection's statistics. */
const REFRESH_MS = 2000;

export interface Badge {
  kind: BadgeKind;
  text: string;
  title: string;
}

/** What the badge of a peer says, from its connection state and latest statistics. */
export function badgeFor(state: ConnectionState, stats: PeerStats | undefined): Badge {
  if (stats?.transport === 'relay') {
    // Messages and files go through the signaling server; audio and video cannot.
    return {
      kind: 'relay',
      text: 'Relay',
      title: 'No direct path: chat and files go through the server, without video',
    };
  }
  if (state === 'failed' || state === 'closed') {
    return { kind: 'unreachable', text: 'Unreachable', title: 'No connection to this person' };
  }
  if (state === 'reconnecting') {
    return {
      kind: 'connecting',
      text: 'Reconnecting…',
      title: 'The connection dropped; restoring it',
    };
  }
  if (state === 'connecting' || !stats || stats.pairType === 'unknown') {
    return { kind: 'connecting', text: 'Connecting…', title: 'Finding a way to connect' };
  }
  const rtt = stats.rttMs === undefined ? '' : ` · ${Math.round(stats.rttMs)} ms`;
  const rates = rateText(stats);
  if (stats.pairType === 'turn') {
    return { kind: 'turn', text: `TURN${rtt}`, title: `Through a TURN server${rates}` };
  }
  const how = stats.pairType === 'host' ? 'on the local network' : 'through NAT';
  return { kind: 'direct', text: `Direct${rtt}`, title: `Direct connection, ${how}${rates}` };
}

function rateText(stats: PeerStats): string {
  const { bitrateInKbps: down, bitrateOutKbps: up } = stats;
  if (down === undefined || up === undefined) return '';
  const kbps = (value: number) =>
    value >= 1000 ? `${(value / 1000).toFixed(1)} Mbit/s` : `${value} kbit/s`;
  return ` — ↓ ${kbps(down)}, ↑ ${kbps(up)}`;
}

/**
 * Keeps each remote tile's badge current: at once when the connection changes state, and
 * every 2 s from `peer.getStats()` (path and round-trip time).
 */
export class ConnectionBadges {
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly room: Room,
    private readonly grid: CallGrid,
  ) {}

  start(): void {
    this.#timer ??= setInterval(() => {
      for (const peer of this.room.peers) void this.refresh(peer);
    }, REFRESH_MS);
    for (const peer of this.room.peers) void this.refresh(peer);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async refresh(peer: RemotePeer): Promise<void> {
    let stats: PeerStats | undefined;
    if (peer.state === 'connected' || peer.transport === 'relay') {
      // Rejects when the peer left or its connection is gone: the state says enough then.
      stats = await peer.getStats().catch(() => undefined);
    }
    const badge = badgeFor(peer.state, stats);
    this.grid.get(peer.id)?.setBadge(badge.kind, badge.text, badge.title);
  }
}
