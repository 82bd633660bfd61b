import { el, formatBytes } from './dom.js';

/** Who wrote a chat entry. */
export interface Author {
  name: string;
  self: boolean;
}

/** A file as the chat shows it: a download link, and a thumbnail for pictures. */
export interface ChatFile {
  name: string;
  size: number;
  /** Object URL of the bytes as `application/octet-stream` (downloads, never renders). */
  downloadUrl: string;
  /** Object URL for an `<img>`, for PNG, JPEG, GIF and WebP only. */
  imageUrl: string | undefined;
}

/** The demo's chat message on the wire: a JSON string (files travel as bytes, see file-drop.ts). */
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

  addFile(author: Author, file: ChatFile): void {
    const link = el('a', {
      class: 'file-link',
      text: file.name,
      attrs: { href: file.downloadUrl, download: file.name },
    });
    const body: Node[] = [
      el('p', { class: 'message-file' }, [
        link,
        el('span', { class: 'file-size', text: formatBytes(file.size) }),
      ]),
    ];
    if (file.imageUrl) {
      body.push(
        el('img', { class: 'file-preview', attrs: { src: file.imageUrl, alt: file.name } }),
      );
    }
    this.#add(this.#message(author, body));
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
