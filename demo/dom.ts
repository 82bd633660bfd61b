/**
 * Tiny DOM helpers. Text always goes in with `textContent`: names, messages and file
 * names come from other peers and are never parsed as HTML.
 */

type Attributes = Record<string, string | boolean | undefined>;

/**
 * What can disguise a peer's text or the text around it: controls (C0 and C1), line and
 * paragraph separators, and invisible format characters — direction overrides and isolates
 * (U+202E shows `photo\u202Egpj.exe` as "photoexe.jpg" and turns the rest of a sentence
 * around), zero-width spaces, byte order marks. A zero-width joiner stays between two
 * pictographs, where it makes one emoji of them (👩‍💻).
 */
const HIDDEN =
  /[\p{Cc}\p{Zl}\p{Zp}]|(?!\u200D)\p{Cf}|(?<!\p{Extended_Pictographic}\uFE0F?)\u200D|\u200D(?!\p{Extended_Pictographic})/gu;

/** `text` without the characters of {@link HIDDEN}: what is left is what a person sees. */
export function withoutHidden(text: string): string {
  return text.replace(HIDDEN, '');
}

/** Creates `<tag>` with a class, text and attributes (`true` → present, `false`/undefined → absent). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: { class?: string; text?: string; attrs?: Attributes } = {},
  children: Array<Node | null> = [],
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (options.class) element.className = options.class;
  if (options.text !== undefined) element.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) {
    if (value === true) element.setAttribute(name, '');
    else if (typeof value === 'string') element.setAttribute(name, value);
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

/** The element with `id`, of the given type; throws when the page lacks it (a bug in index.html). */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`index.html has no <${type.name}> #${id}`);
  return element;
}

/** An inline SVG icon from the sprite in index.html (`<symbol id="icon-…">`). */
export function icon(name: string): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('aria-hidden', 'true');
  const use = document.createElementNS('http://www.w3.org/2000/svg', 'use');
  use.setAttribute('href', `#icon-${name}`);
  svg.append(use);
  return svg;
}

/** Initials for an avatar: "Ada Lovelace" → "AL", "bob" → "B". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words.slice(0, 1);
  return letters.map((word) => [...(word ?? '')][0]?.toUpperCase() ?? '').join('') || '?';
}

/** A stable hue (0–359) for a peer id, so each person keeps their avatar color. */
export function hueOf(id: string): number {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) % 360;
  return hash;
}

/** "1.2 MB" */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
