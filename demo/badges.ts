import type { ConnectionState, MediaState, PeerStats, RemotePeer, Room } from '../sdk/index.js';
import type { Presence } from './presence.js';

/** How often the badges (and the open connection panel) read each connection's statistics. */
export const REFRESH_MS = 2000;

/** How a person's connection looks: the badge's color and icon. */
export type BadgeKind = 'connecting' | 'direct' | 'turn' | 'relay' | 'lost' | 'unreachable';

/**
 * What the page says about one person's connection, all of it visible without hovering:
 * `text` on the badge, `detail` as a line on the tile (empty when all is well).
 */
export interface PersonStatus {
  kind: BadgeKind;
  text: string;
  detail: string;
}

/** What the status is made from. */
export interface StatusInput {
  /** The person's name as shown. */
  name: string;
  state: ConnectionState;
  /** The latest statistics (undefined while connecting, or when they could not be read). */
  stats: PeerStats | undefined;
  /** The demo's own liveness test (presence.ts). */
  presence: Presence;
  /** Whether audio and video can reach them, and by which route (`peer.media`). */
  media: MediaState;
  /**
   * With a room secret: they were refused for their key (`E2EE_MISMATCH`: another secret
   * or none, or a connection tampered with on the way).
   */
  refused?: boolean;
}

/** The status of one person, from the SDK's state, the statistics and their silence. */
export function statusFor(input: StatusInput): PersonStatus {
  const { name, state, stats, presence } = input;
  if ((state === 'failed' || state === 'closed') && input.refused) {
    return {
      kind: 'unreachable',
      text: 'Unreachable',
      detail: `Can't connect to ${name} safely: your links to this call have different encryption keys. Open the same link as the others`,
    };
  }
  if (state === 'failed' || state === 'closed') {
    return {
      kind: 'unreachable',
      text: 'Unreachable',
      detail: `Can't reach ${name}: no path between your networks`,
    };
  }
  if (presence !== 'live' || state === 'reconnecting') {
    return {
      kind: 'lost',
      text: 'Connection lost',
      detail: `Connection lost — waiting for ${name}`,
    };
  }
  if (stats?.transport === 'relay') {
    // Chat starts on the relay at once while the direct connection is made: not news.
    if (input.media.state === 'connecting')
      return { kind: 'connecting', text: 'Connecting…', detail: '' };
    return { kind: 'relay', text: 'Relay · via server', detail: relayDetail(input.media) };
  }
  if (state === 'connecting' || !stats || stats.pairType === 'unknown') {
    return { kind: 'connecting', text: 'Connecting…', detail: '' };
  }
  const rtt = stats.rttMs === undefined ? '' : ` · ${Math.round(stats.rttMs)} ms`;
  if (stats.pairType === 'turn') return { kind: 'turn', text: `TURN${rtt}`, detail: '' };
  return { kind: 'direct', text: `Direct${rtt}`, detail: '' };
}

/** The line on a relayed person's tile: what goes through the server, and why. */
export function relayDetail(media: MediaState): string {
  if (media.state !== 'unavailable') {
    return 'No direct path: video, audio and chat go through the server (a little more delay)';
  }
  if (media.reason === 'NO_WEBCODECS') {
    return 'Through the server: chat and files only — a browser here cannot relay video';
  }
  if (media.reason === 'RELAY_MEDIA_OFF') {
    return 'Through the server: chat and files only — this server relays no video';
  }
  return 'Through the server: chat and files only, no video';
}

/** What one person's tile needs to show a status. */
export interface StatusTarget {
  setStatus(status: PersonStatus): void;
}

/**
 * Keeps each person's status current: at once when the connection changes, and every
 * {@link REFRESH_MS} from `peer.getStats()` and the liveness test. `inputOf` supplies
 * what the call knows about the person (name, presence, video).
 */
export class ConnectionBadges {
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #latest = new Map<string, PeerStats>();

  constructor(
    private readonly room: Room,
    private readonly targetOf: (id: string) => StatusTarget | undefined,
    private readonly inputOf: (peer: RemotePeer) => Omit<StatusInput, 'state' | 'stats'>,
    private readonly onTick: () => void = () => {},
  ) {}

  start(): void {
    this.#timer ??= setInterval(() => {
      this.onTick();
      for (const peer of this.room.peers) void this.refresh(peer);
    }, REFRESH_MS);
    for (const peer of this.room.peers) void this.refresh(peer);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The statistics read last for `id` (for the connection panel). */
  latest(id: string): PeerStats | undefined {
    return this.#latest.get(id);
  }

  forget(id: string): void {
    this.#latest.delete(id);
  }

  async refresh(peer: RemotePeer): Promise<void> {
    let stats: PeerStats | undefined;
    if (peer.state === 'connected' || peer.transport === 'relay') {
      // Rejects when the peer left or its connection is gone: the state says enough then.
      stats = await peer.getStats().catch(() => undefined);
    }
    if (stats) this.#latest.set(peer.id, stats);
    else this.#latest.delete(peer.id);
    this.targetOf(peer.id)?.setStatus(
      statusFor({ ...this.inputOf(peer), state: peer.state, stats }),
    );
  }
}
