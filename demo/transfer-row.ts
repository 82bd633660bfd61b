/**
 * A file in the chat: a row with its name, size, a progress bar, what is happening, and
 * what can be done — Accept / Decline while a received file waits for consent, Cancel
 * while it moves, the download link (or "Saved") once the receiver verified it.
 */
import type { FileTransfer, IncomingFile, TransferProgress, TransferState } from '../sdk/index.js';
import { el, formatBytes } from './dom.js';
import { chatFile } from './file-drop.js';
import { codeOf, transferFailureText } from './transfer-text.js';

/**
 * Files kept in the page's memory (where the browser cannot stream them to disk) may be
 * this large; a larger offer can only be declined there. Browsers with
 * `showSaveFilePicker` (Chrome, Edge on computers) save to disk with no limit.
 */
export const MEMORY_LIMIT_BYTES = 512 * 1024 * 1024;

declare global {
  interface Window {
    /** File System Access API (Chromium on computers): a save dialog giving a writable file. */
    showSaveFilePicker?:
      | ((options?: { suggestedName?: string }) => Promise<FileSystemFileHandle>)
      | undefined;
  }
}

/** Where received files go: a file on disk chosen in the save dialog, or the page's memory. */
export function canSaveToDisk(): boolean {
  return typeof window.showSaveFilePicker === 'function';
}

/**
 * "45% · 1.2 MB/s · 3 s left", "Waiting for Bob to accept" and the like; `inCall`: a call
 * runs with the other person, so the SDK holds files to the call's pace ("calls first").
 */
export function describeTransfer(
  state: TransferState,
  bytes: number,
  now: TransferProgress,
  other: string,
  sending: boolean,
  inCall = false,
): string {
  switch (state) {
    case 'offered':
      return sending ? `Waiting for ${other} to accept` : 'Starting';
    case 'paused':
      return 'Connection lost — will resume';
    case 'verifying':
      return 'Checking';
    case 'complete':
      return sending ? `Sent to ${other}` : 'Done';
    case 'failed':
      return 'Failed';
    case 'transferring': {
      const parts = [now.size ? `${Math.floor((bytes / now.size) * 100)}%` : formatBytes(bytes)];
      if (now.bytesPerSecond > 0) parts.push(`${formatBytes(now.bytesPerSecond)}/s`);
      if (now.etaMs !== undefined && now.bytesPerSecond > 0) {
        parts.push(`${Math.ceil(now.etaMs / 1000)} s left`);
      }
      if (inCall) parts.push('slower during the call, so it stays smooth');
      return parts.join(' · ');
    }
  }
}

/** The parts of a file row. */
export interface RowParts {
  item: HTMLElement;
  name: HTMLElement;
  progress: HTMLProgressElement;
  status: HTMLElement;
  actions: HTMLElement;
}

/** The row's inner elements, under a chat message `item` (made by the chat panel). */
export function fileRowParts(
  item: HTMLElement,
  fileName: string,
  size: number | undefined,
  note: string,
): RowParts {
  const name = el('span', { class: 'file-name', text: fileName });
  const title = el('p', { class: 'message-file transfer' }, [
    name,
    el('span', {
      class: 'file-size',
      text: size === undefined ? 'size unknown' : formatBytes(size),
    }),
    note ? el('span', { class: 'transfer-peer', text: note }) : null,
  ]);
  const progress = el('progress', {
    class: 'transfer-progress',
    attrs: { 'aria-label': `${fileName}: progress` },
  });
  const status = el('span', { class: 'transfer-state', attrs: { role: 'status' } });
  const actions = el('span', { class: 'transfer-actions' });
  item.classList.add('transfer-row');
  item.append(title, progress, el('div', { class: 'transfer-footer' }, [status, actions]));
  return { item, name, progress, status, actions };
}

/** A small button for a row's actions. */
function actionButton(text: string, label: string, primary = false): HTMLButtonElement {
  return el('button', {
    class: primary ? 'row-button primary-small' : 'row-button',
    text,
    attrs: { type: 'button', 'aria-label': label },
  });
}

/**
 * Shows `transfer` in a row: progress, Cancel while it runs, and at the end the download
 * link (`blob`: the bytes, received or sent), "Saved as …" (`savedAs`: written to disk),
 * or what went wrong in words.
 */
export function followTransfer(
  parts: RowParts,
  transfer: FileTransfer<Blob> | FileTransfer<undefined> | FileTransfer,
  options: {
    other: () => string;
    /** A call runs with the other person now (files go at the call's pace). */
    inCall?: () => boolean;
    sent?: Blob;
    savedAs?: string;
    memoryLimit?: number;
  },
): void {
  const { item, progress, status, actions } = parts;
  const sending = transfer.direction === 'send';
  let endedHere = false;
  let tooLarge = false;
  const cancel = actionButton('Cancel', `Cancel ${transfer.name}`);
  cancel.addEventListener('click', () => {
    endedHere = true;
    transfer.cancel('cancelled by the person');
  });
  actions.replaceChildren(cancel);

  const show = (state: TransferState, now: TransferProgress = transfer.progress): void => {
    item.dataset.state = state;
    // The sender counts what the receiver confirmed; the receiver what arrived.
    const bytes = sending ? now.bytesConfirmed : now.bytesTransferred;
    const total = now.size ?? options.sent?.size;
    if (state === 'complete') {
      // Full, also for an empty file.
      progress.max = 1;
      progress.value = 1;
    } else if (total !== undefined) {
      progress.max = Math.max(total, 1);
      progress.value = Math.min(bytes, total);
    }
    const inCall = options.inCall?.() ?? false;
    status.textContent = describeTransfer(state, bytes, now, options.other(), sending, inCall);
    cancel.hidden = state === 'complete' || state === 'failed' || state === 'verifying';
    // A stream of unknown size into memory: stop it at the limit.
    if (
      options.memoryLimit !== undefined &&
      !tooLarge &&
      now.bytesTransferred > options.memoryLimit
    ) {
      tooLarge = true;
      endedHere = true;
      transfer.cancel('too large to keep in memory');
    }
  };
  transfer.on('progress', (now) => show(transfer.state, now));
  transfer.on('state', (state) => show(state));
  show(transfer.state);
  transfer.done.then(
    (result) => {
      show('complete');
      if (options.savedAs !== undefined) {
        status.textContent = `Saved as ${options.savedAs}`;
        return;
      }
      const blob = result ?? options.sent;
      if (!blob) return;
      const file = chatFile(transfer.name, transfer.type, blob);
      parts.name.replaceWith(
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
    },
    (error: unknown) => {
      show('failed');
      const code = tooLarge ? 'TOO_LARGE' : codeOf(error);
      status.textContent = transferFailureText(code, {
        sending,
        other: options.other(),
        endedHere,
      });
    },
  );
}

/**
 * A file offered to this page: name, size, who offers it, and Accept / Decline. Nothing
 * is received before Accept. Accept asks where to save it where the browser can stream
 * to disk; elsewhere it is kept in memory, up to {@link MEMORY_LIMIT_BYTES}.
 */
export function offerRow(
  parts: RowParts,
  incoming: IncomingFile,
  people: { other: () => string; inCall?: () => boolean },
  memoryLimit = MEMORY_LIMIT_BYTES,
): { senderLeft(): void } {
  const { other, inCall = () => false } = people;
  const { item, status, actions } = parts;
  item.dataset.state = 'asking';
  const accept = actionButton('Accept', `Accept ${incoming.name}`, true);
  const decline = actionButton('Decline', `Decline ${incoming.name}`);
  const toDisk = canSaveToDisk();
  const tooBig = !toDisk && incoming.size !== undefined && incoming.size > memoryLimit;
  status.textContent = tooBig
    ? `Too large for this browser (over ${formatBytes(memoryLimit)}): it cannot save straight to disk. Open the call in Chrome or Edge on a computer to receive it.`
    : `${other()} wants to send you this file`;
  accept.disabled = tooBig;
  actions.replaceChildren(accept, decline);
  let decided = false;

  decline.addEventListener('click', () => {
    if (decided) return;
    decided = true;
    incoming.reject('declined');
    item.dataset.state = 'failed';
    actions.replaceChildren();
    status.textContent = 'You declined';
  });
  accept.addEventListener('click', async () => {
    if (decided) return;
    if (toDisk) {
      let writable: FileSystemWritableFileStream;
      let savedAs: string;
      try {
        const handle = await window.showSaveFilePicker?.({
          suggestedName: parts.name.textContent ?? 'file',
        });
        if (!handle) return;
        writable = await handle.createWritable();
        savedAs = handle.name;
      } catch (error) {
        // Closing the save dialog is a choice: the offer stays open.
        if (error instanceof DOMException && error.name === 'AbortError') return;
        status.textContent = 'The file could not be opened for saving. Try again, or Decline.';
        return;
      }
      if (decided) {
        await writable.abort().catch(() => {});
        return;
      }
      decided = true;
      followTransfer(parts, incoming.accept({ writable }), { other, inCall, savedAs });
      return;
    }
    decided = true;
    const limit = incoming.size === undefined ? memoryLimit : undefined;
    followTransfer(parts, incoming.accept(), {
      other,
      inCall,
      ...(limit === undefined ? {} : { memoryLimit: limit }),
    });
  });
  return {
    senderLeft() {
      if (decided) return;
      decided = true;
      item.dataset.state = 'failed';
      actions.replaceChildren();
      status.textContent = `${other()} left before you decided`;
    },
  };
}
