/** The signaling connection as the relay sees it: a narrow interface, not the client class. */
import type { ClientFrame, ErrorCode, PeerId } from '../../../signaling/protocol.js';
import type { PeerlaneError } from '../../errors.js';

/** What the relay hears from the signaling connection. */
export interface RelaySocketEvents {
  /** A binary relay frame from peer `from`. */
  'relay-data': (from: PeerId, payload: Uint8Array) => void;
  /** Peer `from` lets this peer send it `bytes` more relay bytes. */
  'relay-credit': (from: PeerId, bytes: number) => void;
  /** The server's count of this peer's credit towards `from`, answering sync number `n`. */
  'relay-sync': (from: PeerId, credit: number, n: number) => void;
  /** The server refused a frame this side sent with this `ref`. */
  refused: (ref: string, code: ErrorCode) => void;
  /** The connection's state; relay frames wait while it is not `connected`. */
  state: (state: 'connecting' | 'connected' | 'reconnecting' | 'closed') => void;
  error: (error: PeerlaneError) => void;
}

/** The signaling connection, as the relay uses it. */
export interface RelaySocket {
  on<K extends keyof RelaySocketEvents>(event: K, listener: RelaySocketEvents[K]): unknown;
  /** Bytes the socket holds, not yet on the wire (shared by every peer). */
  readonly bufferedAmount: number;
  /**
   * Whether the current session resumed the one before it (`welcome.resumed`); false for
   * a first session and for one the server started afresh (it holds no relay state of it).
   * Set before the state goes `connected`.
   */
  readonly resumed: boolean;
  /** True while {@link sendRelay} can send (the socket is up and in the room). */
  readonly canRelay: boolean;
  /** Sends one binary relay frame now; false (nothing sent) while it cannot. */
  sendRelay(frame: Uint8Array<ArrayBuffer>): boolean;
  /** Sends a text frame (the relay's `relay-credit` grants). */
  send(frame: ClientFrame): void;
}
