import { el } from './dom.js';
import { cleanName } from './file-drop.js';
import { fileRowParts, type RowParts } from './transfer-row.js';

/** Who wrote a chat entry. */
export interface Author {
  name: string;
  self: boolean;
}

/** The demo's chat message on the wire: a JSON string (files have their own transfers). */
interface ChatWire {
  type: 'chat';
  text: string;
}

/** Longest chat message, in characters. */
export const MAX_CHAT_CHARS = 2000;

/** The JSON string that carries a chat message. */
export function encodeChat(text: string): string {
  return JSON.stringify({ type: 'chat', text } satisfies ChatWire);
}

/** The text of a chat message, or undefined when `data` is not one (other apps may share the room). */
export function decodeChat(data: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { type, text } = parsed as Partial<Record<keyof ChatWire, unknown>>;
  if (type !== 'chat' || typeof text !== 'string' || text.trim() === '') return undefined;
  return text.slice(0, MAX_CHAT_CHARS);
}

const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/**
 * The chat panel: messages, files and "X joined" lines, in order of arrival. New entries
 * scroll into view unless the reader scrolled up to read older ones.
 */
export class ChatPanel {
  /** Called for each entry added while the panel is closed (for an unread count). */
  onEntry: () => void = () => {};

  constructor(
    private readonly list: HTMLElement,
    form: HTMLFormElement,
    input: HTMLInputElement,
    send: (text: string) => boolean,
  ) {
    input.maxLength = MAX_CHAT_CHARS;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (text && send(text)) input.value = '';
    });
  }

  addText(author: Author, text: string): void {
    this.#add(this.#message(author, [el('p', { class: 'message-text', text })]));
  }

  /**
   * A row for a file (sent or offered) by `author`: name, size, `note` (e.g. "to Bob"),
   * progress bar, status and actions. transfer-row.ts fills it in.
   */
  addFileRow(author: Author, name: string, size: number | undefined, note: string): RowParts {
    const item = this.#message(author, []);
    const parts = fileRowParts(item, cleanName(name), size, note);
    this.#add(item);
    return parts;
  }

  /** Removes every entry (a new call in another room). */
  clear(): void {
    this.list.replaceChildren();
  }

  /** A line about the call itself: someone joined or left. */
  addEvent(text: string): void {
    this.#add(el('li', { class: 'chat-event', text }));
  }

  #message(author: Author, body: Node[]): HTMLLIElement {
    const header = el('header', { class: 'message-header' }, [
      el('span', { class: 'message-author', text: author.self ? 'You' : author.name }),
      el('time', { text: TIME.format(new Date()) }),
    ]);
    const item = el('li', { class: 'message' }, [header, ...body]);
    item.classList.toggle('own', author.self);
    return item;
  }

  #add(item: HTMLLIElement): void {
    const { list } = this;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(item);
    if (atBottom) list.scrollTop = list.scrollHeight;
    this.onEntry();
  }
}
