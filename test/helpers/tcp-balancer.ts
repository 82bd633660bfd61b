import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A load balancer in front of a cluster, for tests: a TCP proxy on a free loopback port
 * that sends each new connection to the node `target` names then. Connections it made keep
 * their node; when that node closes them the client reconnects, through the balancer, to
 * whatever `target` is by then.
 */
export interface TcpBalancer {
  /** `ws://127.0.0.1:<port>/ws`: where clients connect. */
  readonly url: string;
  /** The port of the node new connections go to. */
  target: number;
  close(): Promise<void>;
}

export async function startTcpBalancer(target: number): Promise<TcpBalancer> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const server: Server = createServer((client) => {
    const upstream = connect(balancer.target, '127.0.0.1');
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    for (const [one, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      one.on('error', () => other.destroy());
      one.on('close', () => other.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const balancer: TcpBalancer = {
    url: `ws://127.0.0.1:${port}/ws`,
    target,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return balancer;
}
