/**
 * What the files page (`files-page.ts`) exposes as `window.peerlaneTest`: file transfers
 * driven from the test, bytes made in the page from `pattern.ts`, results summarized.
 * Transfers are named by a number the page gives them.
 */

/** How a transfer ended, as the page saw it. */
export interface TransferOutcome {
  state: string;
  /** The error code, when it failed. */
  code?: string;
  message?: string;
  /** What the receiver got: its size and SHA-256 (hex), when it received into a Blob. */
  size?: number;
  sha256?: string;
  name: string;
  type: string;
  /** The last progress figures. */
  bytesTransferred: number;
  bytesConfirmed: number;
  /** `progress` events seen. */
  progressEvents: number;
}

/** An offer as it arrived. */
export interface OfferSummary {
  from: string;
  name: string;
  size: number | null;
  type: string;
}

export interface FilesPageApi {
  join(room: string): Promise<{ selfId: string }>;
  /** The connection to `peerId` once `connected`. */
  waitForOpen(peerId: string, timeoutMs?: number): Promise<void>;
  /**
   * Sends `patternBytes(size, seed)` as a File to `peerId` (to everyone when null, with
   * `room.sendFile`); returns the transfer numbers. `corruptOffset`: flips one bit of the
   * chunk at that offset after it was hashed (the internal test hook).
   */
  sendPattern(
    peerId: string | null,
    size: number,
    seed: number,
    options?: { name?: string; type?: string; corruptOffset?: number },
  ): number[];
  /** SHA-256 (hex) of `patternBytes(size, seed)`. */
  patternSha256(size: number, seed: number): Promise<string>;
  /** Waits for the next offer and answers it: into a Blob, a counting WritableStream, or no. */
  answerNext(
    how: 'blob' | 'stream' | 'reject',
    timeoutMs?: number,
  ): Promise<{ offer: OfferSummary; transfer: number | null }>;
  /** Bytes transferred so far. */
  progress(transfer: number): number;
  cancel(transfer: number, reason: string): void;
  /** Waits until the transfer is over. */
  outcome(transfer: number, timeoutMs?: number): Promise<TransferOutcome>;
  leave(): Promise<void>;
}
