import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';

interface GuardOptions {
  /** How long a connection may take to send a complete request head, in ms. */
  handshakeTimeoutMs: number;
  /** Connections one address may have waiting for their request head. */
  maxConnectionsPerIp: number;
  /** Behind a proxy every connection comes from the proxy: no per-address cap then. */
  trustProxy: boolean | number;
}

interface Waiting {
  address: string;
  timer: NodeJS.Timeout;
}

/**
 * Slowloris defence for the HTTP server the signaling server is on. A connection that
 * has not sent a complete request head (an upgrade or a plain request) within
 * `handshakeTimeoutMs` is cut, and one address may have at most `maxConnectionsPerIp` such
 * connections at once (the WebSocket connection cap only applies after the upgrade). A
 * kept-alive connection waits again, under the same rules, once its last response is sent.
 */
export class HandshakeGuard {
  readonly #waiting = new Map<Socket, Waiting>();
  readonly #perAddress = new Map<string, number>();
  readonly #inFlight = new WeakMap<Socket, number>();
  readonly #event: 'connection' | 'secureConnection';
  /**
   * One 'close' listener for every waiting socket (`this` is the socket), removed once it
   * is past the handshake: a WebSocket lives for hours, and a listener per socket (with
   * `once`'s wrapper) was a few hundred bytes each.
   */
  readonly #onSocketClose: (this: Socket) => void;

  constructor(
    private readonly http: HttpServer,
    private readonly options: GuardOptions,
  ) {
    // On a TLS server the socket that carries requests is the one after the TLS handshake.
    this.#event = http instanceof TlsServer ? 'secureConnection' : 'connection';
    const settle = (socket: Socket): void => this.#settle(socket);
    this.#onSocketClose = function (this: Socket) {
      settle(this);
    };
    http.on(this.#event, this.#onConnection);
    http.on('request', this.#onRequest);
  }

  /** The socket delivered an upgrade request: it is past the handshake. */
  upgraded(socket: Socket): void {
    this.#settle(socket);
  }

  /** Stops guarding; connections still waiting keep their deadline. */
  close(): void {
    this.http.off(this.#event, this.#onConnection);
    this.http.off('request', this.#onRequest);
  }

  readonly #onConnection = (socket: Socket): void => {
    this.#wait(socket);
  };

  readonly #onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    const socket = request.socket;
    this.#settle(socket);
    this.#inFlight.set(socket, (this.#inFlight.get(socket) ?? 0) + 1);
    const done = (): void => {
      response.off('finish', done);
      response.off('close', done);
      const left = (this.#inFlight.get(socket) ?? 1) - 1;
      this.#inFlight.set(socket, left);
      if (left === 0 && !socket.destroyed) this.#wait(socket);
    };
    response.on('finish', done);
    response.on('close', done);
  };

  #wait(socket: Socket): void {
    if (this.#waiting.has(socket)) return;
    const address = socket.remoteAddress ?? 'unknown';
    if (this.options.trustProxy === false) {
      const count = this.#perAddress.get(address) ?? 0;
      if (count >= this.options.maxConnectionsPerIp) {
        socket.destroy();
        return;
      }
      this.#perAddress.set(address, count + 1);
    }
    const timer = setTimeout(() => socket.destroy(), this.options.handshakeTimeoutMs);
    timer.unref();
    this.#waiting.set(socket, { address, timer });
    socket.on('close', this.#onSocketClose);
  }

  #settle(socket: Socket): void {
    const waiting = this.#waiting.get(socket);
    if (!waiting) return;
    this.#waiting.delete(socket);
    clearTimeout(waiting.timer);
    socket.off('close', this.#onSocketClose);
    if (this.options.trustProxy !== false) return;
    const count = (this.#perAddress.get(waiting.address) ?? 1) - 1;
    if (count <= 0) this.#perAddress.delete(waiting.address);
    else this.#perAddress.set(waiting.address, count);
  }
}
