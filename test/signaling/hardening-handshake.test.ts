import { connect as tcpConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { bystanders } from '../helpers/bystander.js';
import { useSignaling } from '../helpers/signaling.js';

/** A raw TCP connection to the server; resolves `closed` with how long it lived, in ms. */
function rawSocket(port: number) {
  const socket = tcpConnect({ port, host: '127.0.0.1' });
  const opened = Date.now();
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) =>
    socket.on('close', () => resolve(Date.now() - opened)),
  );
  const ready = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, closed, ready };
}

const HALF_UPGRADE =
  'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n';

describe('hardening: handshakes (issue #16 row 3)', () => {
  const { start, connect } = useSignaling();

  it('cuts half-sent upgrades after handshakeTimeoutMs and caps them per address', async () => {
    const server = await start({ handshakeTimeoutMs: 1000, maxConnectionsPerIp: 10 });
    const others = await bystanders(server, connect);
    // 30 slowloris connections from one address: 10 may wait, 20 are cut at once.
    const held = Array.from({ length: 30 }, () => rawSocket(server.port));
    for (const [i, { socket, ready }] of held.entries()) {
      await ready;
      socket.write(HALF_UPGRADE);
      // Keep the accept order the order they were opened in.
      if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // A dribbler: one byte every 200 ms, never finishing its head.
    const dribbler = rawSocket(server.port);
    await dribbler.ready;
    let dribbled = 0;
    const drip = setInterval(() => {
      if (!dribbler.socket.destroyed) dribbler.socket.write(HALF_UPGRADE[dribbled++ % 10] ?? 'x');
    }, 200);
    try {
      // The address is over its cap: the dribbler was cut at once, like the 20.
      expect(await dribbler.closed).toBeLessThan(900);
      await others.check(); // another address is served while the attacker's sockets wait
      const lives = await Promise.all(held.map((h) => h.closed));
      const cutAtOnce = lives.filter((ms) => ms < 900);
      const timedOut = lives.filter((ms) => ms >= 900);
      expect(cutAtOnce).toHaveLength(20);
      expect(timedOut).toHaveLength(10);
      // Generous margin over the 1 s deadline for a loaded machine; the campaign saw > 100 s.
      for (const ms of timedOut) expect(ms).toBeLessThan(4000);
    } finally {
      clearInterval(drip);
    }
    // Once they are gone, the address may connect and join again.
    const back = await connect(server);
    expect((await back.join('after')).peers).toEqual([]);
    await others.check();
  });

  it('cuts a connection that dribbles its head, even under the per-address cap', async () => {
    const server = await start({ handshakeTimeoutMs: 1000 });
    const others = await bystanders(server, connect);
    const dribbler = rawSocket(server.port);
    await dribbler.ready;
    let i = 0;
    const drip = setInterval(() => {
      if (!dribbler.socket.destroyed) dribbler.socket.write(HALF_UPGRADE[i++] ?? 'x');
    }, 100);
    try {
      const lived = await dribbler.closed;
      expect(lived).toBeGreaterThanOrEqual(900);
      expect(lived).toBeLessThan(4000);
    } finally {
      clearInterval(drip);
    }
    await others.check();
  });

  it('applies the deadline again to a kept-alive connection between requests', async () => {
    const server = await start({ handshakeTimeoutMs: 1000 });
    const { socket, closed, ready } = rawSocket(server.port);
    await ready;
    const answered = new Promise<string>((resolve) =>
      socket.once('data', (d) => resolve(String(d))),
    );
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await answered).toMatch(/^HTTP\/1\.1 426/);
    socket.write('GET / HTTP/1.1\r\nHost: 1'); // and never finish the second head
    const lived = await closed;
    expect(lived).toBeGreaterThanOrEqual(900);
    expect(lived).toBeLessThan(4000);
  });

  describe('row 9: trustProxy takes the hop the proxy appended', () => {
    /** Opens a socket as a proxy would forward it; resolves with it or the HTTP status it got. */
    const forwarded = (url: string, xff: string): Promise<WebSocket | number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url, { headers: { 'x-forwarded-for': xff } });
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => resolve(0));
      });

    it('counts one real address once, whatever first hops the client writes', async () => {
      const server = await start({ trustProxy: true, maxConnectionsPerIp: 5, joinRateBurst: 3 });
      const others = await bystanders(server, connect);
      const opened: WebSocket[] = [];
      const statuses: number[] = [];
      // One real client (198.51.100.7, appended by the proxy) spoofing a new first hop each time.
      for (let i = 0; i < 12; i++) {
        const result = await forwarded(server.url, `203.0.113.${i}, 198.51.100.7`);
        if (typeof result === 'number') statuses.push(result);
        else opened.push(result);
      }
      expect(opened).toHaveLength(5);
      expect(statuses).toEqual(Array(7).fill(429));
      // Its joins share one bucket too: the burst of 3, then RATE_LIMITED.
      const codes: string[] = [];
      for (const ws of opened) {
        const answer = new Promise<string>((resolve) =>
          ws.once('message', (data) =>
            resolve(
              JSON.parse(String(data)).type === 'welcome'
                ? 'welcome'
                : JSON.parse(String(data)).code,
            ),
          ),
        );
        ws.send(JSON.stringify({ type: 'join', room: 'spoof' }));
        codes.push(await answer);
      }
      expect(codes).toEqual(['welcome', 'welcome', 'welcome', 'RATE_LIMITED', 'RATE_LIMITED']);
      // Another real address behind the same proxy is its own.
      const other = await forwarded(server.url, '203.0.113.1, 198.51.100.8');
      expect(other).toBeInstanceOf(WebSocket);
      for (const ws of [...opened, other]) if (ws instanceof WebSocket) ws.terminate();
      await others.check();
    });

    it('takes the n-th hop from the end behind a chain of n proxies', async () => {
      const server = await start({ trustProxy: 2, maxConnectionsPerIp: 1 });
      const first = await forwarded(server.url, '203.0.113.1, 198.51.100.7, 10.0.0.1');
      expect(first).toBeInstanceOf(WebSocket);
      expect(await forwarded(server.url, '203.0.113.2, 198.51.100.7, 10.0.0.2')).toBe(429);
      expect(await forwarded(server.url, '203.0.113.1, 198.51.100.9, 10.0.0.1')).toBeInstanceOf(
        WebSocket,
      );
      await expect(start({ trustProxy: 0 })).rejects.toThrow(
        'options.trustProxy must be true, false or a positive integer (got 0)',
      );
    });
  });
});
