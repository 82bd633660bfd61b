import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { bystanders } from '../helpers/bystander.js';
import { RawClient } from '../helpers/raw-client.js';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Memory rows of issue #16, each against a server in its own process so that its heap and
 * buffers can be measured from outside.
 */
describe('hardening: memory (issue #16)', () => {
  let server: ServerProcess | undefined;
  const clients: RawClient[] = [];
  const connect = async (s: ServerProcess, options: { localAddress?: string } = {}) => {
    const client = await RawClient.connect(s.url, options);
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    for (const client of clients.splice(0)) client.kill();
    await server?.stop();
    server = undefined;
  });
  /** Heap and buffers the server holds beyond `before`, after a GC. */
  const growth = async (before: { heapUsed: number; external: number }) => {
    const now = await server?.status();
    return now ? now.heapUsed + now.external - before.heapUsed - before.external : Number.NaN;
  };

  it('row 1: a receiver that grants itself credit and never reads holds the server to the window', async () => {
    const window = 1 * MiB;
    server = await startServerProcess({
      relayWindow: window,
      relayRateLimit: 1 << 30,
      relayRoomRateLimit: 1 << 30,
    });
    const others = await bystanders(server, connect);
    const [a, b] = await Promise.all([connect(server), connect(server)]);
    const wa = await a.join('r');
    const wb = await b.join('r');
    // b stops reading at the TCP level but keeps granting a as much credit as it can.
    (b.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const before = await server.status();
    const chunk = randomBytes(60 * KiB);
    for (let i = 0; i < 32 * 17; i++) {
      a.relay(wb.peerId, chunk); // ~32 MiB in all; the campaign saw +157 MiB in 20 s
      if (i % 8 === 0) b.send({ type: 'relay-credit', to: wa.peerId, bytes: 1 << 30 });
    }
    await expect
      .poll(() => a.ws.readyState === a.ws.CLOSED || a.unread('error').length > 300, {
        timeout: 15_000,
      })
      .toBe(true);
    // What it holds once the flood's garbage is collected: the window, plus what the
    // kernel socket buffers took, with a generous margin.
    await expect.poll(() => growth(before), { timeout: 5000, interval: 250 }).toBeLessThan(6 * MiB);
    console.log(
      `relay credit: the server holds ${((await growth(before)) / MiB).toFixed(1)} MiB more after 32 MiB at a self-crediting receiver that reads nothing (window 1 MiB)`,
    );
    expect(new Set(a.unread('error').map((e) => e.code))).not.toContain('INTERNAL_ERROR');
    await others.check();
  }, 60_000);
});
