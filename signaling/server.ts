import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server as TlsServer } from 'node:tls';
import { WebSocketServer } from 'ws';
import { Admission } from './admission.js';
import { createTokenVerifier } from './auth.js';
import { Connection, type ConnectionContext } from './connection.js';
import { Delivery } from './delivery.js';
import { HandshakeGuard } from './handshake-guard.js';
import { Heartbeat } from './heartbeat.js';
import { LocalPeers } from './local-peers.js';
import { silentLogger } from './logger.js';
import { Membership } from './membership.js';
import { createMemoryStore } from './memory-store.js';
import { Metrics } from './metrics.js';
import { resolveOptions, type SignalingServerOptions } from './options.js';
import { createRedisStore } from './redis-store.js';
import { answerUpgradeRequired } from './upgrade-required.js';

/** Counts of what the server holds right now. */
export interface SignalingStats {
  connections: number;
  rooms: number;
  peers: number;
}

/** A running signaling server, as {@link createSignalingServer} returns it. */
export interface SignalingServer {
  /** WebSocket URL clients connect to, e.g. `ws://127.0.0.1:8080/ws` (`wss://` over TLS). */
  readonly url: string;
  /** The port actually listened on (useful with `port: 0`). */
  readonly port: number;
  /** Counts of connections, rooms and peers on this node. */
  stats(): SignalingStats;
  /** This node's id (random unless `nodeId` was given). */
  readonly nodeId: string;
  /** True while the server can take joins: not closing, and its Redis (if any) reachable. */
  ready(): boolean;
  /** The Prometheus metrics, in the text exposition format. */
  metrics(): Promise<string>;
  /** The content type of {@link metrics}' text. */
  readonly metricsContentType: string;
  /**
   * Stops accepting, closes every client with 1001 so it can resume elsewhere, waits up
   * to `shutdownTimeoutMs` for them to go, then cuts the rest. Closes the HTTP server
   * only if it created it. Safe to call twice.
   */
  close(): Promise<void>;
}

/**
 * Starts a Peerlane signaling server: rooms, presence and signal routing over WebSocket.
 * Resolves once it is listening.
 *
 * @example
 * const server = await createSignalingServer({ port: 0 });
 * console.log(server.url); // ws://127.0.0.1:41234/ws
 * await server.close();
 */
export async function createSignalingServer(
  options: SignalingServerOptions = {},
): Promise<SignalingServer> {
  const config = resolveOptions(options);
  const ownsHttp = !config.server;
  const http =
    config.server ??
    (config.tls
      ? createHttpsServer(config.tls, answerPlainHttp(config.path))
      : createServer(answerPlainHttp(config.path)));
  const store = config.redisUrl
    ? createRedisStore({
        url: config.redisUrl,
        nodeId: config.nodeId,
        nodeTtlMs: config.nodeTtlMs,
        graceMs: config.resumeGraceMs,
        prefix: config.redisPrefix,
      })
    : createMemoryStore(config.nodeId);
  const local = new LocalPeers(store);
  const delivery = new Delivery(config, store, local, (bytes, kind) =>
    metrics.relayBytes.labels(kind).inc(bytes),
  );
  const membership = new Membership(config, store, local, delivery);
  const log = (options.logger ?? silentLogger).child({ node: store.nodeId });
  const metrics = new Metrics(store.nodeId, {
    connections: () => connections.size,
    rooms: () => local.views.size,
    peers: () => local.peers.size,
    storeUp: () => (config.redisUrl ? Number(store.ready) : undefined),
  });
  await store.start(delivery);
  const connections = new Set<Connection>();
  let closing: Promise<void> | undefined;
  let nextConnection = 0;
  // Frames a little over maxPayload get a FRAME_TOO_LARGE reply; far over it, ws cuts with 1009.
  // No clientTracking: `connections` below is the set of open sockets; ws's own set would
  // hold each socket a second time, with a `close` listener on it (~190 B per socket).
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxPayload * 4,
    clientTracking: false,
  });

  const admission = new Admission({ ...config, allowedOrigins: config.allowedOrigins });
  const context: ConnectionContext = {
    membership,
    delivery,
    options: config,
    admission,
    verify: config.auth ? createTokenVerifier(config.auth) : undefined,
    metrics,
    log,
    onClosed: (connection) => {
      connections.delete(connection);
      admission.release(connection.address);
    },
  };
  wss.on('error', () => {});

  const guard = new HandshakeGuard(http, config);
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    guard.upgraded(socket as Socket);
    if (pathOf(request) !== config.path) {
      // Leave other paths to the host application's own upgrade handlers, if it has any.
      if (http.listenerCount('upgrade') === 1) refuse(socket, 404, 'Not Found');
      return;
    }
    if (closing) {
      refuse(socket, 503, 'Service Unavailable');
      return;
    }
    const address = admission.addressOf(request);
    const refusal = admission.admit(request, address);
    if (refusal) {
      refuse(socket, refusal.status, refusal.text);
      return;
    }
    const id = nextConnection++;
    socket.on('error', ignore);
    // A handshake that dies before 'connection' must give its slot back.
    const release = (): void => admission.release(address);
    socket.once('close', release);
    wss.handleUpgrade(request, socket, head, (ws) => {
      socket.off('close', release);
      // The WebSocket now listens for the socket's errors itself.
      socket.off('error', ignore);
      log.debug({ conn: id.toString(36), address }, 'connected');
      connections.add(new Connection(ws, socket as Socket, address, context, id));
    });
  };
  http.on('upgrade', onUpgrade);

  const heartbeat = new Heartbeat(
    connections,
    config.heartbeatTimeoutMs,
    config.heartbeatIntervalMs,
  );

  if (ownsHttp) await listen(http, config.port, config.host);
  else if (!http.listening) await new Promise<void>((resolve) => http.once('listening', resolve));
  const address = http.address() as AddressInfo;

  return {
    // https.Server is a tls.Server: its own (`tls`) or attached, it means wss.
    url: `${http instanceof TlsServer ? 'wss' : 'ws'}://${urlHost(address.address)}:${address.port}${config.path}`,
    port: address.port,
    nodeId: store.nodeId,
    ready: () => !closing && store.ready,
    metrics: () => metrics.registry.metrics(),
    metricsContentType: metrics.registry.contentType,
    stats: () => ({
      connections: connections.size,
      rooms: local.views.size,
      peers: local.peers.size,
    }),
    close() {
      closing ??= (async () => {
        heartbeat.stop();
        http.off('upgrade', onUpgrade);
        guard.close();
        log.info({ connections: connections.size }, 'shutting down');
        membership.close();
        delivery.close();
        admission.close();
        const stopped = ownsHttp
          ? new Promise((resolve) => http.close(resolve))
          : Promise.resolve();
        await drain(connections, config.shutdownTimeoutMs);
        wss.close();
        if (ownsHttp) http.closeAllConnections();
        await stopped;
        await store.close();
      })();
      return closing;
    },
  };
}

async function drain(connections: Set<Connection>, timeoutMs: number): Promise<void> {
  if (connections.size === 0) return;
  const all = [...connections];
  const gone = Promise.all(all.map((c) => c.closed));
  for (const connection of all) connection.shutdown();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([gone, deadline]);
  clearTimeout(timer);
  for (const connection of connections) connection.terminate();
  await gone;
}

function answerPlainHttp(path: string) {
  return (_request: IncomingMessage, response: ServerResponse): void =>
    answerUpgradeRequired(response, path);
}

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function listen(http: HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
}

function urlHost(address: string): string {
  if (address === '0.0.0.0' || address === '::') return 'localhost';
  return address.includes(':') ? `[${address}]` : address;
}

function ignore(): void {}
