/**
 * The file drop zone, and files sent as chat messages: until the SDK's file transfer is
 * wired in, a file travels as ONE binary message to every peer — simple, but held in
 * memory whole on both sides, hence the {@link MAX_FILE_BYTES} limit. Everything about
 * how files travel is in this file, so switching to `peer.sendFile()` / the room's
 * `incoming-file` event changes only {@link sendFile} and {@link readFileMessage}.
 *
 * A file message: a 4-byte big-endian header length, the header as UTF-8 JSON
 * (`{"type":"file","name":…,"mime":…,"size":…}`), then the file's bytes.
 */
import type { Room } from '../sdk/index.js';
import type { ChatFile } from './chat.js';

/** Largest file sent as a message. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/** Types shown as a thumbnail; anything else is only a download. */
const PREVIEWABLE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export interface FileHeader {
  type: 'file';
  name: string;
  mime: string;
  size: number;
}

/** Sends `file` to everyone in the room. @throws Error with a message for the user when it is too large. */
export async function sendFile(room: Room, file: File): Promise<ChatFile> {
  if (file.size > MAX_FILE_BYTES) {
    throw new Error(
      `${file.name} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB, the limit for now.`,
    );
  }
  const { message, header, bytes } = await encodeFileMessage(file);
  room.broadcast(message);
  return chatFile(header, bytes);
}

/** The binary message that carries `file`. */
export async function encodeFileMessage(
  file: File,
): Promise<{ message: Uint8Array; header: FileHeader; bytes: Uint8Array<ArrayBuffer> }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const header: FileHeader = {
    type: 'file',
    name: file.name,
    mime: file.type,
    size: bytes.byteLength,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const message = new Uint8Array(4 + headerBytes.byteLength + bytes.byteLength);
  new DataView(message.buffer).setUint32(0, headerBytes.byteLength);
  message.set(headerBytes, 4);
  message.set(bytes, 4 + headerBytes.byteLength);
  return { message, header, bytes };
}

/** The file in a binary message, or undefined when the message is not one. */
export function readFileMessage(message: Uint8Array): ChatFile | undefined {
  if (message.byteLength < 4) return undefined;
  const length = new DataView(message.buffer, message.byteOffset, 4).getUint32(0);
  if (4 + length > message.byteLength) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(message.subarray(4, 4 + length)));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null) return undefined;
  const { type, name, mime } = header as Partial<Record<keyof FileHeader, unknown>>;
  if (type !== 'file' || typeof name !== 'string' || typeof mime !== 'string') return undefined;
  const bytes = message.slice(4 + length);
  return chatFile({ type, name: cleanName(name), mime, size: bytes.byteLength }, bytes);
}

function chatFile(header: FileHeader, bytes: Uint8Array<ArrayBuffer>): ChatFile {
  // Downloads get a neutral type: a peer's "text/html" must never open as a page of ours.
  const download = new Blob([bytes], { type: 'application/octet-stream' });
  const preview = PREVIEWABLE.has(header.mime)
    ? new Blob([bytes], { type: header.mime })
    : undefined;
  return {
    name: header.name,
    size: header.size,
    downloadUrl: URL.createObjectURL(download),
    imageUrl: preview ? URL.createObjectURL(preview) : undefined,
  };
}

/** A file name safe to show and to save: no path, no control characters, not too long. */
function cleanName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(CONTROL_CHARACTERS, '').trim().slice(0, 120);
  return clean || 'file';
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
