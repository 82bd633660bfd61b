import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * The floor of the relay benchmark: the least a WebSocket relay can do with binary data.
 * A client connects to `/?room=NAME`; every binary message it sends reaches the other
 * clients of that room as is. No header, parsing, validation, credit or rate limit.
 * (`../signaling/bare-relay.ts` is its JSON twin for signaling frames.)
 */
export async function createBareBinaryRelay(options: { port: number; host: string }) {
  const rooms = new Map<string, Set<WebSocket>>();
  const wss = new WebSocketServer({ port: options.port, host: options.host });
  wss.on('connection', (ws, request) => {
    const name = new URL(request.url ?? '/', 'http://x').searchParams.get('room') ?? '';
    const members = rooms.get(name) ?? new Set<WebSocket>();
    rooms.set(name, members);
    members.add(ws);
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      for (const other of members) if (other !== ws) other.send(data, { binary: true });
    });
    ws.on('close', () => {
      members.delete(ws);
      if (members.size === 0) rooms.delete(name);
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://${options.host}:${port}/`,
    close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  };
}
