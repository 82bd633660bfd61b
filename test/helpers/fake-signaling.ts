import { afterEach } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * Per-test stand-ins for a signaling server that misbehaves: `start(onConnection)` listens
 * on 127.0.0.1 port 0 and hands each connection to the test; all are closed after each test.
 */
export function useFakeSignaling() {
  const servers: WebSocketServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      for (const client of server.clients) client.terminate();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  return {
    async start(
      onConnection: (ws: WebSocket) => void,
    ): Promise<{ url: string; connections: number }> {
      const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      servers.push(server);
      await new Promise((resolve) => server.once('listening', resolve));
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const state = { url: `ws://127.0.0.1:${port}/ws`, connections: 0 };
      server.on('connection', (ws) => {
        state.connections += 1;
        onConnection(ws);
      });
      return state;
    },
  };
}

/** A welcome as the real server sends it, for fake servers. */
export function fakeWelcome(room = 'test-room') {
  return JSON.stringify({
    type: 'welcome',
    v: 1,
    room,
    peerId: 'AAAAAAAAAAAAAAAAAAAAAA',
    secret: 'B'.repeat(43),
    resumed: false,
    peers: [],
    iceServers: [],
    ref: 'join',
  });
}
