import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * The floor of the benchmark: the least a WebSocket signaling relay can do. A client
 * says `{"type":"join","id":…}` and gets `{"type":"welcome"}`; then each `{to, data}` it
 * sends reaches peer `to` as `{from, data}`. No validation, rooms, limits or heartbeat.
 */
export async function createBareRelay(options: { port: number; host: string }) {
  const peers = new Map<string, WebSocket>();
  const wss = new WebSocketServer({ port: options.port, host: options.host });
  wss.on('connection', (ws) => {
    let id: string | undefined;
    ws.on('error', () => {});
    ws.on('message', (raw) => {
      let message: { id?: unknown; to?: unknown; data?: unknown };
      try {
        message = JSON.parse(String(raw));
      } catch {
        return;
      }
      if (id === undefined) {
        if (typeof message.id !== 'string') return;
        id = message.id;
        peers.set(id, ws);
        ws.send('{"type":"welcome"}');
        return;
      }
      const target = typeof message.to === 'string' ? peers.get(message.to) : undefined;
      target?.send(JSON.stringify({ from: id, data: message.data }));
    });
    ws.on('close', () => {
      if (id !== undefined && peers.get(id) === ws) peers.delete(id);
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://${options.host}:${port}/`,
    close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  };
}
