/**
 * Files in the demo: the drop zone, and what a finished transfer becomes on the page.
 * The bytes travel with the SDK's file transfer (`room.sendFile()` / `peer.sendFile()`,
 * the room's `incoming-file` event): their own data channel, SHA-256 checked, resumed
 * after a break. The rows that show them, with consent for received ones, are in
 * transfer-row.ts.
 */
import { withoutHidden } from './dom.js';

/** A file as the chat shows it: a download link, and a thumbnail for pictures. */
export interface ChatFile {
  name: string;
  size: number;
  /** Object URL of the bytes as `application/octet-stream` (downloads, never renders). */
  downloadUrl: string;
  /** Object URL for an `<img>`, for PNG, JPEG, GIF and WebP only. */
  imageUrl: string | undefined;
}

/** Types shown as a thumbnail; anything else is only a download. */
const PREVIEWABLE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/**
 * A file name safe to show and to save: no path, no control characters, nothing that shows
 * it as another name (direction overrides, invisible characters), not too long.
 */
export function cleanName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = withoutHidden(base).trim().slice(0, 120);
  return clean || 'file';
}

/** A finished file as the chat shows it. `type` is the sender's word for it (untrusted). */
export function chatFile(name: string, type: string, bytes: Blob): ChatFile {
  // Downloads get a neutral type: a peer's "text/html" must never open as a page of ours.
  const download = new Blob([bytes], { type: 'application/octet-stream' });
  const preview = PREVIEWABLE.has(type) ? new Blob([bytes], { type }) : undefined;
  return {
    name: cleanName(name),
    size: bytes.size,
    downloadUrl: URL.createObjectURL(download),
    imageUrl: preview ? URL.createObjectURL(preview) : undefined,
  };
}

/**
 * Makes `zone` take dropped files, and `button` (keyboard users) open the file picker
 * `input`. `onFiles` gets each drop's files.
 */
export function wireDropZone(
  zone: HTMLElement,
  button: HTMLButtonElement,
  input: HTMLInputElement,
  onFiles: (files: File[]) => void,
): void {
  let depth = 0; // dragenter/dragleave fire for every child crossed
  zone.addEventListener('dragenter', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    depth += 1;
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove('dragging');
  });
  zone.addEventListener('dragover', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    zone.classList.remove('dragging');
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length > 0) onFiles(files);
  });
  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length > 0) onFiles(files);
  });
}
