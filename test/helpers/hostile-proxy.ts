import { afterEach } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';

/** What a {@link HostileProxy} may do to the frames it passes on. */
export interface Tampering {
  /**
   * A text frame from the server to a client (`client`: its index in
   * {@link HostileProxy.clients}): return the frame to pass on.
   */
  toClient?(frame: string, client: number): string;
  /** A binary (relay) frame from the server to a client: return the bytes to pass on. */
  binaryToClient?(frame: Buffer, client: number): Buffer;
}

/**
 * A signaling server gone bad, for tests: a WebSocket proxy on a free loopback port in
 * front of the real server, which records every relayed (binary) frame and may rewrite
 * what it passes to clients — what a compromised server could do. Not a product feature.
 */
export class HostileProxy {
  /** Every binary frame that passed, both ways. */
  readonly binary: Buffer[] = [];
  /** The clients' sockets, in the order they connected: what the server could send them. */
  readonly clients: WebSocket[] = [];
  tampering: Tampering = {};

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<HostileProxy> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    const proxy = new HostileProxy(server, `ws://127.0.0.1:${port}`);
    server.on('connection', (client) => proxy.#pipe(client, target));
    return proxy;
  }

  #pipe(client: WebSocket, target: string): void {
    const upstream = new WebSocket(target);
    const index = this.clients.push(client) - 1;
    const early: Array<[Buffer, boolean]> = [];
    client.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.binary.push(Buffer.from(data));
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
      else early.push([data, isBinary]);
    });
    upstream.on('open', () => {
      for (const [data, isBinary] of early.splice(0)) upstream.send(data, { binary: isBinary });
    });
    upstream.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        this.binary.push(Buffer.from(data));
        const out = this.tampering.binaryToClient?.(data, index) ?? data;
        client.send(out, { binary: true });
      } else {
        const text = String(data);
        client.send(this.tampering.toClient?.(text, index) ?? text);
      }
    });
    const end = () => {
      client.terminate();
      upstream.terminate();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Per-test proxies, closed after each test. */
export function useHostileProxy() {
  const proxies: HostileProxy[] = [];
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });
  return async (target: string): Promise<HostileProxy> => {
    const proxy = await HostileProxy.start(target);
    proxies.push(proxy);
    return proxy;
  };
}
