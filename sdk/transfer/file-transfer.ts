/**
 * The public face of one file transfer, on either side: its state, its progress (with
 * rate and ETA), a promise that settles when it is over, and `cancel()`. The protocol
 * logic lives in `file-sender.ts` and `file-receiver.ts`; this file only reports.
 */
import type {
  FileTransfer,
  FileTransferEvents,
  RemotePeer,
  TransferProgress,
  TransferState,
} from '../api.js';
import { Emitter } from '../emitter.js';
import type { PeerlaneError } from '../errors.js';
import { checkReason } from './transfer-protocol.js';

/** Progress goes out at most this often. */
const PROGRESS_INTERVAL_MS = 100;
/** The rate is measured over about this long. */
const RATE_WINDOW_MS = 3000;

/** What the protocol side of a transfer needs to drive its {@link FileTransfer}. */
export interface TransferDescription {
  direction: 'send' | 'receive';
  peer: RemotePeer;
  name: string;
  size: number | undefined;
  type: string;
  /** Called by `cancel()` while the transfer is not over. */
  onCancel: (reason: string) => void;
}

/** The SDK's side of a {@link FileTransfer}: the sender or receiver updates and settles it. */
export class TransferHandle<Result>
  extends Emitter<FileTransferEvents>
  implements FileTransfer<Result>
{
  readonly direction: 'send' | 'receive';
  readonly peer: RemotePeer;
  readonly done: Promise<Result>;
  name: string;
  type: string;
  size: number | undefined;
  #state: TransferState = 'offered';
  #transferred = 0;
  #confirmed = 0;
  #samples: Array<{ at: number; confirmed: number }> = [];
  #lastEmit = 0;
  #resolve!: (result: Result) => void;
  #reject!: (error: PeerlaneError) => void;
  readonly #onCancel: (reason: string) => void;

  constructor(description: TransferDescription) {
    super();
    this.direction = description.direction;
    this.peer = description.peer;
    this.name = description.name;
    this.size = description.size;
    this.type = description.type;
    this.#onCancel = description.onCancel;
    this.done = new Promise<Result>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Observed here so that an application that never looks at `done` gets no
    // unhandled-rejection report; one that does still sees the rejection.
    this.done.catch(() => {});
  }

  get state(): TransferState {
    return this.#state;
  }

  /** True once complete or failed. */
  get over(): boolean {
    return this.#state === 'complete' || this.#state === 'failed';
  }

  get progress(): TransferProgress {
    const now = Date.now();
    const oldest = this.#samples[0];
    const elapsed = oldest ? now - oldest.at : 0;
    const rate =
      oldest && elapsed >= 200 ? ((this.#confirmed - oldest.confirmed) * 1000) / elapsed : 0;
    const left = this.size === undefined ? undefined : this.size - this.#confirmed;
    return {
      bytesTransferred: this.#transferred,
      bytesConfirmed: this.#confirmed,
      size: this.size,
      bytesPerSecond: Math.round(rate),
      etaMs:
        left === undefined
          ? undefined
          : left === 0
            ? 0
            : rate > 0
              ? Math.round((left * 1000) / rate)
              : undefined,
    };
  }

  cancel(reason = 'cancelled'): void {
    checkReason('cancel', reason);
    if (!this.over) this.#onCancel(reason);
  }

  /** Moves to `state` (not to an end state: see {@link complete} and {@link fail}). */
  setState(state: Exclude<TransferState, 'complete' | 'failed'>): void {
    if (this.over || state === this.#state) return;
    this.#state = state;
    this.emit('state', state);
  }

  /** New counts; emits `progress` when the last one is old enough (or `force`). */
  update(transferred: number, confirmed: number, force = false): void {
    this.#transferred = transferred;
    this.#confirmed = confirmed;
    const now = Date.now();
    if (!force && now - this.#lastEmit < PROGRESS_INTERVAL_MS) return;
    this.#lastEmit = now;
    this.#samples.push({ at: now, confirmed });
    while (this.#samples.length > 2 && now - (this.#samples[1]?.at ?? now) >= RATE_WINDOW_MS) {
      this.#samples.shift();
    }
    this.emit('progress', this.progress);
  }

  complete(result: Result): void {
    if (this.over) return;
    this.update(this.#transferred, this.#confirmed, true);
    this.#state = 'complete';
    this.emit('state', 'complete');
    this.#resolve(result);
  }

  fail(error: PeerlaneError): void {
    if (this.over) return;
    this.#state = 'failed';
    this.emit('state', 'failed');
    this.#reject(error);
  }
}
