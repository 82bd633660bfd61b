import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** Bytes written to the others and not yet on their sockets at which a sender is paused. */
const HIGH_WATER = 1024 * 1024;
/** ...and at which it is read again. */
const LOW_WATER = 256 * 1024;

/**
 * The floor of the relay benchmark: the least a WebSocket relay can do with binary data.
 * A client connects to `/?room=NAME`; every binary message it sends reaches the other
 * clients of that room as is. No header, parsing, validation, credit or rate limit — only
 * back-pressure: a sender whose messages wait for the others' sockets (over
 * {@link HIGH_WATER}) is not read until they are written out, as TCP would have it. Without
 * it the relay kept whatever the receiver was slow to take in its memory, and ran slower
 * (2026-12-06: 20–70 MiB/s from run to run, at more CPU than the SDK's relay).
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
    let waiting = 0; // bytes of this sender's not yet written to the others' sockets
    const written = (bytes: number) => () => {
      waiting -= bytes;
      if (waiting <= LOW_WATER && ws.isPaused) ws.resume();
    };
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) return;
      for (const other of members) {
        if (other === ws) continue;
        waiting += data.byteLength;
        other.send(data, { binary: true }, written(data.byteLength));
      }
      if (waiting > HIGH_WATER) ws.pause();
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
