import type { FileTransfer, TransferProgress, TransferState } from '../sdk/index.js';
import { el, formatBytes } from './dom.js';
import { chatFile } from './file-drop.js';

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

/** "45% · 1.2 MB/s · 3 s left", "reconnecting…" and the like. */
function describe(state: TransferState, bytes: number, now: TransferProgress): string {
  switch (state) {
    case 'offered':
      return 'Waiting';
    case 'paused':
      return 'reconnecting…';
    case 'verifying':
      return 'Checking';
    case 'complete':
      return 'Done';
    case 'failed':
      return 'Failed';
    case 'transferring': {
      const parts = [now.size ? `${Math.floor((bytes / now.size) * 100)}%` : formatBytes(bytes)];
      if (now.bytesPerSecond > 0) parts.push(`${formatBytes(now.bytesPerSecond)}/s`);
      if (now.etaMs !== undefined && now.bytesPerSecond > 0) {
        parts.push(`${Math.ceil(now.etaMs / 1000)} s left`);
      }
      return parts.join(' · ');
    }
  }
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
   * A file on its way, sent (`sent`: the local file, for its own download link) or
   * received: name, size, a progress bar, what is happening, Cancel while it runs, and the
   * download link (and a thumbnail for pictures) once the receiver has verified it.
   */
  addTransfer(author: Author, transfer: FileTransfer<Blob> | FileTransfer, sent?: Blob): void {
    const name = el('span', { class: 'file-name', text: transfer.name });
    const size = el('span', { class: 'file-size' });
    const title = el('p', { class: 'message-file transfer' }, [
      name,
      size,
      author.self
        ? el('span', { class: 'transfer-peer', text: `to ${this.peerName(transfer.peer.id)}` })
        : null,
    ]);
    const progress = el('progress', {
      class: 'transfer-progress',
      attrs: { 'aria-label': `${transfer.name}: progress` },
    });
    const status = el('span', { class: 'transfer-state' });
    const cancel = el('button', {
      class: 'link-button transfer-cancel',
      text: 'Cancel',
      attrs: { type: 'button', 'aria-label': `Cancel ${transfer.name}` },
    });
    cancel.addEventListener('click', () => transfer.cancel('cancelled in the demo'));
    const footer = el('div', { class: 'transfer-footer' }, [status, cancel]);
    const item = this.#message(author, [title, progress, footer]);
    item.classList.add('transfer-row');

    const show = (state: TransferState, now: TransferProgress = transfer.progress): void => {
      item.dataset.state = state;
      // The sender counts what the receiver confirmed; the receiver what arrived.
      const bytes = author.self ? now.bytesConfirmed : now.bytesTransferred;
      const total = now.size ?? sent?.size;
      size.textContent = total === undefined ? '' : formatBytes(total);
      if (total !== undefined) {
        progress.max = Math.max(total, 1);
        progress.value = Math.min(bytes, total);
      }
      status.textContent = describe(state, bytes, now);
      cancel.hidden = state === 'complete' || state === 'failed' || state === 'verifying';
    };
    transfer.on('progress', (now) => show(transfer.state, now));
    transfer.on('state', (state) => show(state));
    show(transfer.state);
    transfer.done.then(
      (result) => {
        const blob = result ?? sent;
        if (!blob) return;
        const file = chatFile(transfer.name, transfer.type, blob);
        progress.max = Math.max(file.size, 1);
        progress.value = progress.max;
        name.replaceWith(
          el('a', {
            class: 'file-link',
            text: file.name,
            attrs: { href: file.downloadUrl, download: file.name },
          }),
        );
        if (file.imageUrl) {
          item.append(
            el('img', { class: 'file-preview', attrs: { src: file.imageUrl, alt: file.name } }),
          );
        }
        show('complete');
      },
      (error: unknown) => {
        show('failed');
        const code = typeof error === 'object' && error && 'code' in error ? error.code : '';
        const message = error instanceof Error ? error.message : String(error);
        status.textContent = `${String(code || 'Failed')}: ${message}`;
      },
    );
    this.#add(item);
  }

  /** The name of peer `id`, for "to Bob" on a sent file (call.ts sets it). */
  peerName: (id: string) => string = () => 'a peer';

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
