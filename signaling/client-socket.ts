import type { RawData, WebSocket } from 'ws';
import type { Pingable } from './heartbeat.js';
import type { Metrics } from './metrics.js';
import { CLOSE_CODES } from './protocol.js';

/** How a connection ended, which decides what the room is told. */
export type Ending = 'client' | 'timeout' | 'dropped' | 'kicked' | 'retired' | 'shutdown';

/** What a {@link ClientSocket} reads of the server's options. */
export interface SocketOptions {
  /** Text bytes queued for a client that does not read before it is dropped (4002). */
  maxBufferedBytes: number;
}

/** The connection under the WebSocket (a `net.Socket` or a `tls.TLSSocket`): bytes read from it. */
export interface Transport {
  readonly bytesRead: number;
}

const SOCKET = Symbol('peerlane.socket');
type OwnedSocket = WebSocket & { [SOCKET]: ClientSocket };

// One set of listeners for every socket (`this` is the socket) rather than three closures per
// connection: at tens of thousands of sockets, per-connection objects are the memory cost.
// No `pong` listener: the heartbeat reads the transport's byte count (`heartbeat.ts`).
function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  // Once the server has begun closing, what the client still sends is not acted on.
  if (this.readyState !== this.OPEN) return;
  (this as OwnedSocket)[SOCKET].receive(data as Buffer, isBinary);
}
function onClose(this: WebSocket, code: number): void {
  (this as OwnedSocket)[SOCKET].closedWith(code);
}
function onError(this: WebSocket): void {
  // ws emits 'error' only for protocol violations (oversize, bad opcode, bad UTF-8), then
  // closes with 1002/1007/1009.
  (this as OwnedSocket)[SOCKET].markEnding('kicked');
}

/**
 * The life of one client's WebSocket: sending (dropping a client that stops reading),
 * the heartbeat, pausing reads, and how and when it ended. Knows nothing of frames: what
 * arrives goes to the subclass (`Connection`), which reads its options and metrics from
 * what it shares with every connection. A base class rather than an object the connection
 * holds: at tens of thousands of idle sockets, each object per connection is memory.
 */
export abstract class ClientSocket implements Pingable {
  #ending: Ending = 'client';
  /** Relay bytes handed to ws and not yet written, so they do not count as not reading. */
  #relayQueued = 0;
  #pauses = 0;
  /** Undefined until someone waits for the close; `true` once the socket has closed. */
  #closed: { promise: Promise<void>; resolve: () => void } | true | undefined;

  protected abstract readonly options: SocketOptions;
  protected abstract readonly metrics: Metrics;

  /** A message arrived. */
  abstract receive(data: Buffer, isBinary: boolean): void;
  /** The socket closed, with the close code and how it ended. */
  abstract socketClosed(code: number, ending: Ending): void;

  constructor(
    private readonly ws: WebSocket,
    private readonly transport: Transport,
  ) {
    (ws as OwnedSocket)[SOCKET] = this;
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', onError);
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** How the connection ended so far: `'client'` until the server ends it. */
  get ending(): Ending {
    return this.#ending;
  }

  /** Settles once the socket has closed. */
  get closed(): Promise<void> {
    if (this.#closed === true) return Promise.resolve();
    if (!this.#closed) {
      let resolve = (): void => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.#closed = { promise, resolve };
    }
    return this.#closed.promise;
  }

  /** Sends a frame; `written` is called once a binary frame has been written (or dropped). */
  send(data: string | Buffer, written?: () => void): void {
    if (!this.open) {
      written?.();
      return;
    }
    if (typeof data !== 'string') {
      // Relay frames are bounded by the relay's credit per pair, not by maxBufferedBytes.
      this.#relayQueued += data.length;
      this.metrics.frameOut('{"type":"relay"');
      this.ws.send(data, () => {
        this.#relayQueued -= data.length;
        written?.();
      });
      return;
    }
    if (this.ws.bufferedAmount - this.#relayQueued > this.options.maxBufferedBytes) {
      this.end('dropped', CLOSE_CODES.SLOW_CONSUMER, 'client is not reading', true);
      return;
    }
    this.metrics.frameOut(data);
    this.ws.send(data);
  }

  /** Pings the client; answers the bytes read from it so far (undefined when not open). */
  ping(): number | undefined {
    if (!this.open) return undefined;
    this.ws.ping();
    return this.transport.bytesRead;
  }

  /** Cuts the connection as dead unless the client sent anything (a pong will do) since `mark`. */
  endIfSilentSince(mark: number): void {
    if (this.open && this.transport.bytesRead === mark)
      this.end('timeout', CLOSE_CODES.HEARTBEAT_TIMEOUT, 'heartbeat timeout', true);
  }

  /**
   * Stops reading the socket (frames of a read already under way still arrive). Pauses
   * nest: reading starts again when every `pause` has had its `resume`.
   */
  pause(): void {
    if (this.#pauses++ === 0) this.ws.pause();
  }

  /** Ends one `pause`; reads the socket again once none is left, if it is still open. */
  resume(): void {
    if (this.#pauses === 0) return;
    if (--this.#pauses === 0 && this.open) this.ws.resume();
  }

  /** Ends the connection (once): with a closing handshake, or `abrupt`ly without one. */
  end(ending: Ending, code: number, reason: string, abrupt = false): void {
    if (this.#ending !== 'client') return;
    this.#ending = ending;
    if (abrupt) {
      this.ws.terminate();
      return;
    }
    this.ws.close(code, reason);
    // The client's closing frame must be read, or ws waits 30 s before it gives up: reading
    // starts again even if a pending frame or relay pacing had paused it.
    if (this.#pauses > 0) {
      this.#pauses = 0;
      this.ws.resume();
    }
  }

  /** Records how the connection is ending, unless the server already decided. */
  markEnding(ending: Ending): void {
    if (this.#ending === 'client') this.#ending = ending;
  }

  /** Closes with 1001 so the client reconnects and resumes elsewhere; the room hears nothing. */
  shutdown(): void {
    this.end('shutdown', CLOSE_CODES.GOING_AWAY, 'server shutting down');
  }

  /** Cuts the connection without a closing handshake. */
  terminate(): void {
    this.ws.terminate();
  }

  /** From the socket's listeners: the socket closed. */
  closedWith(code: number): void {
    if (this.#closed !== true) this.#closed?.resolve();
    this.#closed = true;
    this.socketClosed(code, this.#ending);
  }
}
