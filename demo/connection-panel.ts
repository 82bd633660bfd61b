/**
 * The connection panel: how this page reaches one person — what carries the call, the
 * ICE candidate types, round-trip time, bitrates and packet loss. Opened from a tile's
 * badge; a modal `<dialog>` (Escape closes it, focus returns to the badge).
 */
import type { PeerStats, RemotePeer } from '../sdk/index.js';
import type { PersonStatus } from './badges.js';
import { el } from './dom.js';

/**
 * A person's safety numbers as the page saw them (calls with a room secret): the current
 * connection's, once its handshake is done on both sides, and the one shown before it when
 * the connection was renewed since (a new connection has a new number).
 */
export interface SafetySeen {
  now: string | undefined;
  before: string | undefined;
}

/**
 * What the page has seen once a person's safety number is read again (`now`: undefined
 * until the connection's handshake is done on both sides). A number that vanishes or
 * changes is a new connection's: the one shown before is kept, to ask for a new comparison,
 * unless the new number is that same one.
 */
export function seeSafety(seen: SafetySeen | undefined, now: string | undefined): SafetySeen {
  if (seen && now === seen.now) return seen;
  const before = seen?.now ?? seen?.before;
  return { now, before: before === now ? undefined : before };
}

/** The safety number's row, if there is one to show (see {@link SafetySeen}). */
export function safetyText(safety: SafetySeen | undefined): string | undefined {
  if (safety?.now === undefined) {
    return safety?.before === undefined
      ? undefined
      : 'being agreed for a new connection — compare it again once it shows';
  }
  return safety.before === undefined
    ? `${safety.now} — the same on both screens: no one in between`
    : `${safety.now} — a new connection, a new number: compare it again (the same on both screens: no one in between)`;
}

/** What the panel shows, one row each (label, value). */
export function connectionRows(
  peer: Pick<RemotePeer, 'state' | 'transport' | 'media'>,
  status: PersonStatus,
  stats: PeerStats | undefined,
  /** With a room secret: the pair's safety numbers, to compare out of band. */
  safety?: SafetySeen,
): Array<[string, string]> {
  const rows: Array<[string, string]> = [['Status', status.detail || status.text]];
  const safetyRow = safetyText(safety);
  if (safetyRow) rows.push(['Safety number', safetyRow]);
  const kbps = (value: number | undefined) =>
    value === undefined
      ? '—'
      : value >= 1000
        ? `${(value / 1000).toFixed(1)} Mbit/s`
        : `${value} kbit/s`;
  if (peer.transport === 'relay' || stats?.transport === 'relay') {
    const relayed = peer.media.state === 'available' && peer.media.route === 'relay';
    rows.push(
      ['Path', 'Relay: through the signaling server (WebSocket)'],
      [
        'Works',
        relayed
          ? 'Chat, files, audio and video (encoded in the browser, relayed by the server)'
          : 'Chat and files; no audio or video',
      ],
    );
    const video = stats?.inbound.video;
    if (relayed && video) {
      const size = video.frameWidth ? ` at ${video.frameWidth}×${video.frameHeight}` : '';
      rows.push([
        'Video in',
        `${video.frames ?? 0} frames${size}, ${video.packetsLost ?? 0} dropped`,
      ]);
    }
    return rows;
  }
  const path =
    stats === undefined || stats.pairType === 'unknown'
      ? 'Not connected yet'
      : stats.pairType === 'turn'
        ? `Through a TURN server${stats.relayProtocol ? ` (${stats.relayProtocol.toUpperCase()})` : ''}`
        : stats.pairType === 'host'
          ? 'Direct, on the local network'
          : 'Direct, through NAT';
  rows.push(['Path', path]);
  if (!stats) return rows;
  rows.push(
    [
      'Candidates',
      `${stats.localCandidateType ?? '?'} (you) → ${stats.remoteCandidateType ?? '?'} (them)`,
    ],
    ['Round trip', stats.rttMs === undefined ? '—' : `${Math.round(stats.rttMs)} ms`],
    ['Receiving', kbps(stats.bitrateInKbps)],
    ['Sending', kbps(stats.bitrateOutKbps)],
    ['Packet loss', lossText(stats)],
  );
  return rows;
}

/** Inbound RTP packets lost since the connection started, as a share of those expected. */
function lossText(stats: PeerStats): string {
  let received = 0;
  let lost = 0;
  for (const counts of [stats.inbound.audio, stats.inbound.video]) {
    if (!counts) continue;
    received += counts.packets;
    lost += counts.packetsLost ?? 0;
  }
  if (received + lost === 0) return 'no audio or video yet';
  return `${((lost * 100) / (received + lost)).toFixed(1)} % (${lost} of ${received + lost} packets)`;
}

/** The `<dialog>` in index.html, filled for one person at a time. */
export class ConnectionPanel {
  #peerId: string | undefined;
  #returnFocus: HTMLElement | undefined;

  constructor(
    private readonly dialog: HTMLDialogElement,
    private readonly read: (id: string) =>
      | {
          name: string;
          peer: RemotePeer;
          status: PersonStatus;
          stats: PeerStats | undefined;
          safety: SafetySeen | undefined;
        }
      | undefined,
  ) {
    dialog.addEventListener('close', () => {
      this.#peerId = undefined;
      this.#returnFocus?.focus();
      this.#returnFocus = undefined;
    });
  }

  /** Opens the panel for `id` (from its badge, which gets the focus back on close). */
  open(id: string): void {
    this.#peerId = id;
    this.#returnFocus =
      document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    this.refresh();
    if (!this.dialog.open) this.dialog.showModal();
  }

  /** Shows the latest figures, if open (the call calls it every 2 s); closes when the person left. */
  refresh(): void {
    const id = this.#peerId;
    if (id === undefined) return;
    const now = this.read(id);
    if (!now) {
      this.dialog.close();
      return;
    }
    const title = this.dialog.querySelector('h2');
    if (title) title.textContent = `Connection to ${now.name}`;
    const list = this.dialog.querySelector('dl');
    list?.replaceChildren(
      ...connectionRows(now.peer, now.status, now.stats, now.safety).flatMap(([label, value]) => [
        el('dt', { text: label }),
        el('dd', { text: value }),
      ]),
    );
  }

  close(): void {
    if (this.dialog.open) this.dialog.close();
  }
}
