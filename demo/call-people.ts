/**
 * The people in a call, as this page shows them: a tile each, names told apart, a
 * connection status each (badge, line on the tile, panel), a notice when someone's
 * connection is lost and removal when they stay silent, the count in the top bar, the
 * empty state while alone, and the six-person cap.
 */
import type { RemotePeer, Room } from '../sdk/index.js';
import { ConnectionBadges, type PersonStatus, statusFor } from './badges.js';
import type { CallGrid, Tile, TileState } from './call-grid.js';
import { ConnectionPanel, type SafetySeen, seeSafety } from './connection-panel.js';
import { el } from './dom.js';
import { nameOf, uniqueNames } from './names.js';
import type { Notices } from './notices.js';
import { BEAT_MS, encodeBeat, GONE_AFTER_MS, Liveness } from './presence.js';

/** People one call holds: the page promises "up to six people per call". */
export const MAX_PEOPLE = 6;

/** What the tiles show for a peer's metadata. */
export function tileStateOf(meta: RemotePeer['meta'], label: string): TileState {
  return {
    name: label,
    audioOff: meta.audio === false,
    videoOff: meta.video === false,
    screen: meta.screen === true,
  };
}

export interface PeopleParts {
  grid: CallGrid;
  notices: Notices;
  /** Who dropped or picked files go to: "" for everyone, or a peer id. */
  fileTarget: HTMLSelectElement;
  /** "3 people" in the top bar. */
  count: HTMLElement;
  /** The "waiting for others" panel. */
  empty: HTMLElement;
  panel: HTMLDialogElement;
  /** A line in the chat ("Ada joined"). */
  event(text: string): void;
  /** The list of people changed (the presenter view, the controls). */
  changed(): void;
}

export class People {
  readonly liveness = new Liveness();
  readonly badges: ConnectionBadges;
  readonly panel: ConnectionPanel;
  /** Peers shown on this page (a subset of `room.peers`: not the 7th, not the silent ones). */
  readonly #shown = new Set<string>();
  /** Seventh and later arrivals: they leave on their own at once (see call.ts). */
  readonly #overflow = new Set<string>();
  #labels = new Map<string, string>();
  #beat: ReturnType<typeof setInterval> | undefined;
  /** Safety numbers (calls with a room secret) as seen: this connection's, and the one before. */
  readonly #safety = new Map<string, SafetySeen>();
  /** Peers refused for their room secret (`E2EE_MISMATCH`): their status says so. */
  readonly #refused = new Set<string>();

  constructor(
    private readonly room: Room,
    private readonly selfName: string,
    private readonly parts: PeopleParts,
  ) {
    this.badges = new ConnectionBadges(
      room,
      (id) => (this.#shown.has(id) ? parts.grid.get(id) : undefined),
      (peer) => this.#statusInput(peer),
      () => this.#tick(),
    );
    this.panel = new ConnectionPanel(parts.panel, (id) => {
      const peer = room.peer(id);
      if (!peer || !this.#shown.has(id)) return undefined;
      return {
        name: this.label(peer),
        peer,
        status: this.status(peer),
        stats: this.badges.latest(id),
        safety: this.#safety.get(id),
      };
    });
  }

  /** The name shown for `peer` ("Ada", or "Ada (2)" when two are called Ada). */
  label(peer: RemotePeer): string {
    return this.#labels.get(peer.id) ?? nameOf(peer.meta);
  }

  /** The label of your own tile. */
  get selfLabel(): string {
    return this.#labels.get(this.room.selfId) ?? this.selfName;
  }

  status(peer: RemotePeer): PersonStatus {
    return statusFor({
      ...this.#statusInput(peer),
      state: peer.state,
      stats: this.badges.latest(peer.id),
    });
  }

  /** Everyone in the room now, and from now on. */
  start(): void {
    for (const peer of this.room.peers) this.add(peer, false);
    this.room.on('peer-joined', (peer) => this.add(peer, true));
    this.room.on('peer-left', (peer) => this.#left(peer));
    this.room.on('peer-updated', (peer) => this.#relabel(peer));
    this.room.on('transport-change', (peer) => void this.#refresh(peer));
    this.room.on('media-change', (peer) => void this.#refresh(peer));
    this.room.on('error', (error) => {
      if (error.code !== 'E2EE_MISMATCH' || error.peerId === undefined) return;
      this.#refused.add(error.peerId);
      const peer = this.room.peer(error.peerId);
      if (peer) void this.#refresh(peer);
    });
    this.room.on('connection-state', (peer, state) => {
      // Connected: from now on, silence counts (a demo page beats every 2 s).
      if (state === 'connected' && !this.liveness.known(peer.id)) this.liveness.heard(peer.id);
      void this.#refresh(peer);
    });
    this.#beat = setInterval(() => this.#sendBeat(), BEAT_MS);
    this.#sendBeat();
    this.badges.start();
    this.#relabelAll();
    this.#changed();
  }

  stop(): void {
    clearInterval(this.#beat);
    this.badges.stop();
    this.panel.close();
    for (const id of this.#shown) this.parts.notices.hide(`lost-${id}`);
  }

  /** Any message from `peer` shows it is there. */
  heard(peer: RemotePeer): void {
    this.liveness.heard(peer.id);
    if (!this.#shown.has(peer.id) && !this.#overflow.has(peer.id) && this.room.peer(peer.id)) {
      // Silent long enough to be removed, and back: show them again.
      this.add(peer, false);
      this.parts.event(`${this.label(peer)} is back`);
    }
  }

  /** Shows `peer` (unless the call is full: then it is the one to leave). */
  add(peer: RemotePeer, announce: boolean): void {
    if (announce && this.room.peers.length >= MAX_PEOPLE) {
      this.#overflow.add(peer.id);
      return;
    }
    this.#shown.add(peer.id);
    this.#relabelAll();
    const label = this.label(peer);
    const { grid, fileTarget } = this.parts;
    if (!this.#option(peer.id))
      fileTarget.append(el('option', { text: label, attrs: { value: peer.id } }));
    const tile = grid.add(peer.id, false, tileStateOf(peer.meta, label));
    tile.setStream(peer.stream);
    void this.#refresh(peer);
    if (announce) this.parts.event(`${label} joined`);
    this.#changed();
  }

  /** The tile of a shown peer. */
  tile(id: string): Tile | undefined {
    return this.#shown.has(id) ? this.parts.grid.get(id) : undefined;
  }

  #left(peer: RemotePeer): void {
    this.#overflow.delete(peer.id);
    const shown = this.#hide(peer.id);
    this.liveness.forget(peer.id);
    this.badges.forget(peer.id);
    this.#refused.delete(peer.id);
    if (shown) this.parts.event(`${this.label(peer)} left`);
    this.#relabelAll();
  }

  /** Removes a peer's tile; true when it was shown. */
  #hide(id: string): boolean {
    const shown = this.#shown.delete(id);
    this.parts.grid.remove(id);
    this.#option(id)?.remove(); // a selected one: the select falls back to everyone
    this.parts.notices.hide(`lost-${id}`);
    this.panel.refresh();
    this.#changed();
    return shown;
  }

  #statusInput(peer: RemotePeer) {
    return {
      name: this.label(peer),
      presence: this.liveness.presence(peer.id),
      media: peer.media,
      refused: this.#refused.has(peer.id),
    };
  }

  async #refresh(peer: RemotePeer): Promise<void> {
    // Known once the handshake is done both ways; a new connection brings a new one.
    this.#safety.set(peer.id, seeSafety(this.#safety.get(peer.id), await peer.safetyNumber()));
    await this.badges.refresh(peer);
    this.#noticeFor(peer);
    this.panel.refresh();
  }

  /** "Connection lost — waiting for Bob" while Bob's connection is lost. */
  #noticeFor(peer: RemotePeer): void {
    if (!this.#shown.has(peer.id)) return;
    const status = this.status(peer);
    const key = `lost-${peer.id}`;
    if (status.kind === 'lost') {
      this.parts.notices.show(key, status.detail, {
        tone: 'warning',
        busy: true,
        dismissible: true,
      });
    } else if (status.kind === 'unreachable') {
      this.parts.notices.show(key, `${status.detail}. The others are not affected.`, {
        tone: 'error',
      });
    } else {
      this.parts.notices.hide(key);
    }
  }

  /** Every {@link REFRESH_MS}: the silent are marked lost, the long silent removed. */
  #tick(): void {
    for (const peer of this.room.peers) {
      if (!this.#shown.has(peer.id)) continue;
      if (this.liveness.presence(peer.id) === 'gone') {
        const label = this.label(peer);
        this.#hide(peer.id);
        this.parts.event(`${label}'s connection was lost`);
        this.parts.notices.show(
          `gone-${peer.id}`,
          `${label}'s connection was lost (nothing heard for ${GONE_AFTER_MS / 1000} s).`,
          { tone: 'info' },
        );
        continue;
      }
      this.#noticeFor(peer);
    }
    // The open panel follows the figures (read on the tick before: bitrates need two).
    this.panel.refresh();
  }

  #sendBeat(): void {
    if (this.room.peers.length === 0) return;
    try {
      this.room.broadcast(encodeBeat());
    } catch {
      // Not connected to anyone yet (or leaving): the next beat tries again.
    }
  }

  #relabel(peer: RemotePeer): void {
    this.#relabelAll();
    this.parts.grid.get(peer.id)?.update(tileStateOf(peer.meta, this.label(peer)));
    this.#changed();
  }

  /** Labels for everyone shown, and you: duplicates get " (2)". */
  #relabelAll(): void {
    const people = [{ id: this.room.selfId, name: this.selfName }];
    for (const peer of this.room.peers) {
      if (this.#shown.has(peer.id)) people.push({ id: peer.id, name: nameOf(peer.meta) });
    }
    this.#labels = uniqueNames(people);
    this.parts.grid.get(this.room.selfId)?.update({ name: this.selfLabel });
    for (const peer of this.room.peers) {
      if (!this.#shown.has(peer.id)) continue;
      const label = this.label(peer);
      this.parts.grid.get(peer.id)?.update({ name: label });
      const option = this.#option(peer.id);
      if (option) option.textContent = label;
    }
  }

  #option(id: string): HTMLOptionElement | undefined {
    return [...this.parts.fileTarget.options].find((option) => option.value === id);
  }

  #changed(): void {
    const count = this.#shown.size + 1;
    this.parts.count.hidden = false;
    this.parts.count.textContent = count === 1 ? 'Only you' : `${count} of ${MAX_PEOPLE} people`;
    this.parts.empty.hidden = count > 1;
    this.parts.grid.layout();
    this.parts.changed();
  }
}
