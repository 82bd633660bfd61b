import { el, hueOf, icon, initials } from './dom.js';

/** What a tile shows about its participant. */
export interface TileState {
  name: string;
  /** Microphone muted (or none). */
  audioOff: boolean;
  /** Camera off (or none): the avatar shows instead of the video. */
  videoOff: boolean;
  /** The video is a shared screen: shown whole, never mirrored. */
  screen: boolean;
}

/** How a connection badge looks (see badges.ts). */
export type BadgeKind = 'connecting' | 'direct' | 'turn' | 'relay' | 'unreachable';

/** Tiles are 16:9; the grid picks the column count that makes them largest. */
const ASPECT = 16 / 9;
const GAP_PX = 12;
/** More columns win when their tiles are at least this share of the largest possible. */
const WIDER_TOLERANCE = 0.78;

/** One participant's tile: video (or avatar), name, microphone state, connection badge. */
export class Tile {
  readonly element: HTMLElement;
  readonly #video: HTMLVideoElement;
  readonly #name: HTMLElement;
  readonly #mic: HTMLElement;
  readonly #avatar: HTMLElement;
  readonly #badge: HTMLElement;
  #state: TileState;
  #stream: MediaStream | undefined;

  constructor(
    readonly id: string,
    readonly self: boolean,
    state: TileState,
    private readonly onSoundBlocked: () => void,
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
    this.#badge = el('span', { class: 'badge', attrs: { hidden: self } });
    this.element = el('figure', { class: 'tile', attrs: { 'data-peer': id } }, [
      this.#video,
      this.#avatar,
      this.#badge,
      el('figcaption', { class: 'tile-label' }, [this.#mic, this.#name]),
    ]);
    this.element.classList.toggle('self', self);
    this.#render();
  }

  /** Shows `stream` (undefined: the avatar). Assigning again reloads the element, as tracks may have changed. */
  setStream(stream: MediaStream | undefined): void {
    this.#stream = stream;
    this.#video.srcObject = stream ?? null;
    if (stream) this.#play();
    this.#render();
  }

  update(change: Partial<TileState>): void {
    this.#state = { ...this.#state, ...change };
    this.#render();
  }

  setBadge(kind: BadgeKind, text: string, title: string): void {
    this.#badge.hidden = false;
    this.#badge.dataset.kind = kind;
    this.#badge.textContent = text;
    this.#badge.title = title;
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
        this.onSoundBlocked();
      }
      // AbortError: a newer stream replaced this one; its own play() takes over.
    });
  }

  #render(): void {
    const { name, audioOff, videoOff, screen } = this.#state;
    const hasVideo = (this.#stream?.getVideoTracks().length ?? 0) > 0;
    const showVideo = hasVideo && (screen || !videoOff);
    this.#name.textContent = this.self ? `${name} (you)` : name;
    this.#avatar.textContent = initials(name);
    this.#mic.hidden = !audioOff;
    this.element.classList.toggle('video-off', !showVideo);
    this.element.classList.toggle('screen', screen);
    this.element.classList.toggle('mirrored', this.self && !screen);
    this.element.setAttribute(
      'aria-label',
      `${this.self ? 'You' : name}${audioOff ? ', muted' : ''}`,
    );
  }
}

/** The video grid: one tile per participant, laid out to fill the space for 1–6 of them. */
export class CallGrid {
  readonly #tiles = new Map<string, Tile>();
  readonly #resize = new ResizeObserver(() => this.#layout());

  constructor(
    private readonly container: HTMLElement,
    private readonly onSoundBlocked: () => void,
  ) {
    this.#resize.observe(container);
  }

  get size(): number {
    return this.#tiles.size;
  }

  add(id: string, self: boolean, state: TileState): Tile {
    this.remove(id);
    const tile = new Tile(id, self, state, this.onSoundBlocked);
    this.#tiles.set(id, tile);
    // Your own tile stays first.
    if (self) this.container.prepend(tile.element);
    else this.container.append(tile.element);
    this.#layout();
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
    this.#layout();
  }

  /** Unmutes every remote tile (after a click, when autoplay held the sound back). */
  unmuteAll(): void {
    for (const tile of this.#tiles.values()) tile.unmute();
  }

  clear(): void {
    for (const id of [...this.#tiles.keys()]) this.remove(id);
  }

  /**
   * Sizes the tiles: the column count that gives the largest 16:9 tiles in the space there
   * is — or more columns, when their tiles are nearly as large (side by side reads as a
   * conversation; a stack reads as a list).
   */
  #layout(): void {
    const count = Math.max(this.#tiles.size, 1);
    const { width, height } = this.container.getBoundingClientRect();
    if (width === 0 || height === 0) return;
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
    this.container.dataset.count = String(this.#tiles.size);
  }
}
