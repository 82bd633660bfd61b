import type { BadgeKind, PersonStatus } from './badges.js';
import { el, hueOf, icon, initials } from './dom.js';

/** What a tile shows about its participant. */
export interface TileState {
  name: string;
  /** Microphone muted (or none). */
  audioOff: boolean;
  /** Camera off (or none): the avatar shows instead of the video. */
  videoOff: boolean;
  /** The video is a shared screen: shown whole, never mirrored, in the presenter view. */
  screen: boolean;
}

/** Tiles are 16:9; the grid picks the column count that makes them largest. */
const ASPECT = 16 / 9;
const GAP_PX = 12;
/** More columns win when their tiles are at least this share of the largest possible. */
const WIDER_TOLERANCE = 0.78;
/** In the presenter view, the others' tiles in the strip below the shared screen. */
const STRIP_TILE_PX = 180;

/**
 * One participant's tile: video (or avatar), name, microphone state, and for the others a
 * connection badge (a button that opens the connection panel) and a status line.
 */
export class Tile {
  readonly element: HTMLElement;
  readonly #video: HTMLVideoElement;
  readonly #name: HTMLElement;
  readonly #mic: HTMLElement;
  readonly #avatar: HTMLElement;
  readonly #badge: HTMLButtonElement;
  readonly #detail: HTMLElement;
  readonly #presenting: HTMLElement;
  #state: TileState;
  #stream: MediaStream | undefined;
  #status: PersonStatus | undefined;

  constructor(
    readonly id: string,
    readonly self: boolean,
    state: TileState,
    private readonly hooks: { onSoundBlocked(): void; onBadge(id: string): void },
  ) {
    this.#state = state;
    this.#video = el('video', { attrs: { autoplay: true, playsinline: true } });
    // Your own tile must not play your microphone back to you.
    this.#video.muted = self;
    this.#avatar = el('div', { class: 'avatar', attrs: { 'aria-hidden': 'true' } });
    this.#avatar.style.setProperty('--hue', String(hueOf(id)));
    this.#name = el('span', { class: 'tile-name' });
    this.#mic = el('span', { class: 'tile-mic', attrs: { role: 'img', 'aria-label': 'Muted' } });
    this.#mic.append(icon('mic-off'));
    this.#badge = el('button', { class: 'badge', attrs: { type: 'button', hidden: self } });
    this.#badge.addEventListener('click', () => this.hooks.onBadge(id));
    this.#detail = el('p', { class: 'tile-status', attrs: { hidden: true } });
    this.#presenting = el('span', { class: 'tile-presenting', attrs: { hidden: true } });
    this.element = el('figure', { class: 'tile', attrs: { 'data-peer': id } }, [
      this.#video,
      this.#avatar,
      this.#badge,
      this.#presenting,
      this.#detail,
      el('figcaption', { class: 'tile-label' }, [this.#mic, this.#name]),
    ]);
    this.element.classList.toggle('self', self);
    this.#render();
  }

  get state(): TileState {
    return this.#state;
  }

  /** Shows `stream` (undefined: the avatar). Assigning again reloads the element, as tracks may have changed. */
  setStream(stream: MediaStream | undefined): void {
    this.#stream = stream;
    this.#video.srcObject = stream ?? null;
    if (stream) this.#play();
    this.#render();
  }

  /** Whether video from this person is arriving and shown. */
  get showingVideo(): boolean {
    const hasVideo = (this.#stream?.getVideoTracks().length ?? 0) > 0;
    return hasVideo && (this.#state.screen || !this.#state.videoOff);
  }

  update(change: Partial<TileState>): void {
    this.#state = { ...this.#state, ...change };
    this.#render();
  }

  /** The connection status: the badge's words and color, and the line on the tile. */
  setStatus(status: PersonStatus): void {
    this.#status = status;
    this.#render();
  }

  /** The badge's kind (for tests and styles). */
  get badgeKind(): BadgeKind | undefined {
    return this.#status?.kind;
  }

  /** Plays the sound that the browser's autoplay policy held back (after a click). */
  unmute(): void {
    if (this.self) return;
    this.#video.muted = false;
    this.#play();
  }

  #play(): void {
    this.#video.play().catch((error: unknown) => {
      if (error instanceof DOMException && error.name === 'NotAllowedError' && !this.#video.muted) {
        // Autoplay with sound refused: play muted now, offer sound on the next click.
        this.#video.muted = true;
        this.#video.play().catch(() => {});
        this.hooks.onSoundBlocked();
      }
      // AbortError: a newer stream replaced this one; its own play() takes over.
    });
  }

  #render(): void {
    const { name, audioOff, screen } = this.#state;
    const shown = this.self ? `${name} (you)` : name;
    this.#name.textContent = shown;
    this.#avatar.textContent = initials(name);
    this.#mic.hidden = !audioOff;
    this.element.classList.toggle('video-off', !this.showingVideo);
    this.element.classList.toggle('screen', screen);
    this.element.classList.toggle('mirrored', this.self && !screen);
    this.#presenting.hidden = !screen;
    this.#presenting.textContent = this.self ? 'You are presenting' : `${name} is presenting`;
    const status = this.#status;
    if (status && !this.self) {
      this.#badge.dataset.kind = status.kind;
      this.#badge.textContent = status.text;
      this.#badge.setAttribute('aria-label', `Connection to ${name}: ${status.text}. Details`);
      this.#badge.title = 'Connection details';
      this.#detail.textContent = status.detail;
      this.#detail.hidden = status.detail === '';
      this.element.dataset.status = status.kind;
    }
    const parts = [this.self ? 'You' : name];
    if (audioOff) parts.push('muted');
    if (status && !this.self) parts.push(status.detail || status.text);
    this.element.setAttribute('aria-label', parts.join(', '));
  }
}

/**
 * The video grid: one tile per participant, laid out to fill the space for 1–6 of them —
 * or, while someone shares a screen, the presenter view: the screen large, the others in
 * a strip below it.
 */
export class CallGrid {
  readonly #tiles = new Map<string, Tile>();
  readonly #resize = new ResizeObserver(() => this.#layout());

  constructor(
    private readonly container: HTMLElement,
    private readonly hooks: { onSoundBlocked(): void; onBadge(id: string): void },
  ) {
    this.#resize.observe(container);
  }

  get size(): number {
    return this.#tiles.size;
  }

  get tiles(): Tile[] {
    return [...this.#tiles.values()];
  }

  add(id: string, self: boolean, state: TileState): Tile {
    this.remove(id);
    const tile = new Tile(id, self, state, this.hooks);
    this.#tiles.set(id, tile);
    // Your own tile stays first.
    if (self) this.container.prepend(tile.element);
    else this.container.append(tile.element);
    this.layout();
    return tile;
  }

  get(id: string): Tile | undefined {
    return this.#tiles.get(id);
  }

  remove(id: string): void {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    tile.setStream(undefined);
    tile.element.remove();
    this.#tiles.delete(id);
    this.layout();
  }

  /** Unmutes every remote tile (after a click, when autoplay held the sound back). */
  unmuteAll(): void {
    for (const tile of this.#tiles.values()) tile.unmute();
  }

  clear(): void {
    for (const id of [...this.#tiles.keys()]) this.remove(id);
  }

  /** Lays the tiles out again (after someone started or stopped presenting). */
  layout(): void {
    this.#layout();
  }

  /** The tile shown large: someone else's shared screen first, else your own. */
  #spotlight(): Tile | undefined {
    const sharing = this.tiles.filter((tile) => tile.state.screen);
    return sharing.find((tile) => !tile.self) ?? sharing[0];
  }

  /**
   * Sizes the tiles: the column count that gives the largest 16:9 tiles in the space there
   * is — or more columns, when their tiles are nearly as large (side by side reads as a
   * conversation; a stack reads as a list).
   */
  #layout(): void {
    const { width, height } = this.container.getBoundingClientRect();
    this.container.dataset.count = String(this.#tiles.size);
    const spotlight = this.#spotlight();
    for (const tile of this.#tiles.values())
      tile.element.classList.toggle('spotlight', tile === spotlight);
    this.container.classList.toggle('presenting', spotlight !== undefined);
    if (width === 0 || height === 0) return;
    if (spotlight) {
      this.container.prepend(spotlight.element);
      const others = this.#tiles.size - 1;
      const strip =
        others > 0 ? Math.min(STRIP_TILE_PX, (width - GAP_PX * (others - 1)) / others) : 0;
      const stripHeight = others > 0 ? strip / ASPECT + GAP_PX : 0;
      const spot = Math.floor(Math.min(width, (height - stripHeight) * ASPECT));
      this.container.style.setProperty('--spot-width', `${Math.max(spot, 120)}px`);
      this.container.style.setProperty('--tile-width', `${Math.floor(strip)}px`);
      return;
    }
    const self = this.tiles.find((tile) => tile.self);
    if (self && this.container.firstElementChild !== self.element)
      this.container.prepend(self.element);
    const count = Math.max(this.#tiles.size, 1);
    const sizes: number[] = [];
    for (let columns = 1; columns <= count; columns += 1) {
      const rows = Math.ceil(count / columns);
      const byWidth = (width - GAP_PX * (columns - 1)) / columns;
      const byHeight = ((height - GAP_PX * (rows - 1)) / rows) * ASPECT;
      sizes.push(Math.floor(Math.min(byWidth, byHeight)));
    }
    const largest = Math.max(...sizes);
    const tileWidth = sizes.findLast((size) => size >= largest * WIDER_TOLERANCE) ?? largest;
    this.container.style.setProperty('--tile-width', `${tileWidth}px`);
  }
}
