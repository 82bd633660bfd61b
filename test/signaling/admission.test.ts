import { describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { RawClient } from '../helpers/raw-client.js';
import { useSignaling } from '../helpers/signaling.js';

/** Opens a socket with extra headers; resolves with the open socket or the HTTP status it got. */
function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
}

describe('createSignalingServer', () => {
  const { start, connect } = useSignaling();

  describe('allowedOrigins', () => {
    it('refuses browsers from other origins with 403, admits listed ones and non-browsers', async () => {
      const server = await start({ allowedOrigins: ['https://app.example'] });
      expect(await open(server.url, { origin: 'https://evil.example' })).toBe(403);
      const listed = await open(server.url, { origin: 'https://app.example' });
      expect(listed).toBeInstanceOf(WebSocket);
      const noOrigin = await open(server.url);
      expect(noOrigin).toBeInstanceOf(WebSocket);
      for (const ws of [listed, noOrigin]) if (ws instanceof WebSocket) ws.terminate();
    });
  });

  describe('maxConnectionsPerIp', () => {
    it('refuses connections over the cap with 429 and admits again when one closes', async () => {
      const server = await start({ maxConnectionsPerIp: 2 });
      const a = await connect(server);
      await connect(server);
      expect(await open(server.url)).toBe(429);
      await a.close();
      await expect.poll(() => server.stats().connections).toBe(1);
      await connect(server);
    });

    it('counts X-Forwarded-For addresses separately only with trustProxy', async () => {
      const trusting = await start({ maxConnectionsPerIp: 1, trustProxy: true });
      const first = await open(trusting.url, { 'x-forwarded-for': '203.0.113.1' });
      const second = await open(trusting.url, { 'x-forwarded-for': '203.0.113.2, 10.0.0.1' });
      expect(first).toBeInstanceOf(WebSocket);
      expect(second).toBeInstanceOf(WebSocket);
      expect(await open(trusting.url, { 'x-forwarded-for': '203.0.113.1' })).toBe(429);
      const strict = await start({ maxConnectionsPerIp: 1 });
      const one = await open(strict.url, { 'x-forwarded-for': '203.0.113.1' });
      expect(await open(strict.url, { 'x-forwarded-for': '203.0.113.2' })).toBe(429);
      for (const ws of [first, second, one]) if (ws instanceof WebSocket) ws.terminate();
    });
  });

  describe('joinRateLimit', () => {
    it('refuses joins over the per-address rate, across connections, then recovers', async () => {
      // The join bucket reads Date.now: frozen, the burst is exact; moved on, it refills.
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        const server = await start({ joinRateLimit: 10, joinRateBurst: 3 });
        const clients = await Promise.all(Array.from({ length: 4 }, () => connect(server)));
        for (const client of clients.slice(0, 3)) await client.join('r');
        const last = clients[3] as RawClient;
        last.send({ type: 'join', room: 'r', ref: 'j' });
        expect(await last.next('error')).toEqual({
          type: 'error',
          code: 'RATE_LIMITED',
          message: 'more than 10 joins per second from your address; try again shortly',
          ref: 'j',
        });
        vi.setSystemTime(Date.now() + 150); // 150 ms at 10/s: one join back
        await last.join('r');
      } finally {
        vi.useRealTimers();
      }
    });
  });
});
