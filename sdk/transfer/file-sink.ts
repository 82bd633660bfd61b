/**
 * Where a received file goes: a WritableStream (each write awaited: back-pressure reaches
 * the sender through the credit it is granted) or a Blob built as bytes arrive.
 */

/** What the receiver writes to. */
export interface Sink {
  write(bytes: Uint8Array): Promise<void>;
  close(type: string): Promise<Blob | undefined>;
  abort(reason: unknown): Promise<void>;
}

/** A Blob being received is folded into one Blob every this many bytes (browsers may keep it off-heap). */
const BLOB_FOLD_BYTES = 16 * 1024 * 1024;

/** Writes to `writable`, one chunk at a time; closed after the SHA-256 matched, else aborted. */
export function writableSink(writable: WritableStream<Uint8Array>): Sink {
  const writer = writable.getWriter();
  return {
    async write(bytes) {
      await writer.ready;
      await writer.write(bytes);
    },
    async close() {
      await writer.close();
      return undefined;
    },
    async abort(reason) {
      await writer.abort(reason).catch(() => {});
    },
  };
}

/** Collects the bytes into a Blob, folding the parts every {@link BLOB_FOLD_BYTES}. */
export function blobSink(): Sink {
  let blob: Blob | undefined;
  let parts: Uint8Array[] = [];
  let pending = 0;
  const fold = (type?: string) => {
    const all = blob ? [blob, ...parts] : parts;
    blob = new Blob(all as BlobPart[], type === undefined ? undefined : { type });
    parts = [];
    pending = 0;
    return blob;
  };
  return {
    async write(bytes) {
      parts.push(bytes);
      pending += bytes.byteLength;
      if (pending >= BLOB_FOLD_BYTES) fold();
    },
    async close(type) {
      return fold(type);
    },
    async abort() {
      blob = undefined;
      parts = [];
    },
  };
}
