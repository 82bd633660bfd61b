import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CLOSE_CODES } from '../../signaling/protocol.js';
import { createSignalingServer } from '../../signaling/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { useSignaling } from '../helpers/signaling.js';

describe('createSignalingServer', () => {
  const { start, connect } = useSignaling();

  describe('close', () => {
    it('closes every client with 1001 and announces no departures', async () => {
      const server = await start();
      const clients = await Promise.all([connect(server), connect(server), connect(server)]);
      for (const client of clients) await client.join('r');
      const idle = await connect(server);
      await server.close();
      for (const client of [...clients, idle]) {
        expect(await client.closed).toEqual({
          code: CLOSE_CODES.GOING_AWAY,
          reason: 'server shutting down',
        });
        expect(client.unread('peer-left')).toEqual([]);
      }
      await expect(RawClient.connect(server.url)).rejects.toThrow();
    });

    it('cuts clients that do not finish the closing handshake within shutdownTimeoutMs', async () => {
      const server = await start({ shutdownTimeoutMs: 100 });
      const client = await connect(server);
      // Stop reading: the server's close frame is never answered.
      (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const started = Date.now();
      await server.close();
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('is safe to call twice', async () => {
      const server = await start();
      await Promise.all([server.close(), server.close()]);
    });
  });

  describe('options.server', () => {
    let http: Server | undefined;
    afterEach(() => {
      http?.closeAllConnections();
      http?.close();
    });

    it('attaches to an existing HTTP server, leaving its routes and other upgrades alone', async () => {
      http = createServer((_req, res) => res.end('app'));
      const echo = new (await import('ws')).WebSocketServer({ noServer: true });
      http.on('upgrade', (request, socket, head) => {
        if (request.url === '/echo')
          echo.handleUpgrade(request, socket, head, (ws) => ws.on('message', (m) => ws.send(m)));
      });
      await new Promise<void>((resolve) => http?.listen(0, '127.0.0.1', resolve));
      const signaling = await createSignalingServer({ server: http, path: '/signal' });
      const port = (http.address() as { port: number }).port;
      expect(signaling.url).toBe(`ws://127.0.0.1:${port}/signal`);

      const client = await RawClient.connect(signaling.url);
      await client.join('r');
      const other = new WebSocket(`ws://127.0.0.1:${port}/echo`);
      const echoed = await new Promise<string>((resolve) => {
        other.on('open', () => other.send('hi'));
        other.on('message', (m) => resolve(String(m)));
      });
      expect(echoed).toBe('hi');
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('app');

      await signaling.close();
      expect((await client.closed).code).toBe(CLOSE_CODES.GOING_AWAY);
      expect(http.listening).toBe(true);
      other.close();
      echo.close();
    });
  });

  describe('http', () => {
    it('answers plain HTTP on its own server with 426 and unknown upgrade paths with 404', async () => {
      const server = await start();
      const response = await fetch(`http://127.0.0.1:${server.port}/ws`);
      expect(response.status).toBe(426);
      expect(await response.text()).toBe('Peerlane signaling: connect with a WebSocket to /ws\n');
      await expect(RawClient.connect(`ws://127.0.0.1:${server.port}/elsewhere`)).rejects.toThrow(
        '404',
      );
    });

    it('accepts a query string on the endpoint path', async () => {
      const server = await start();
      const client = await connect({ ...server, url: `${server.url}?x=1` });
      await client.join('r');
    });
  });
});
