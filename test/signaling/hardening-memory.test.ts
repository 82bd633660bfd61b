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

  it('row 2: signals held for dropped peers are capped per peer and per address', async () => {
    const maxPendingBytes = 128 * KiB;
    server = await startServerProcess({
      maxPendingBytes,
      resumeGraceMs: 60_000,
      joinRateBurst: 100,
      maxBufferedBytes: 64 * MiB,
    });
    const others = await bystanders(server, connect);
    // 16 peers that will drop, and 4 senders, all from the attacker's address.
    const dropped = await Promise.all(
      Array.from({ length: 16 }, () => connect(server as ServerProcess)),
    );
    const senders = await Promise.all(
      Array.from({ length: 4 }, () => connect(server as ServerProcess)),
    );
    const ids: string[] = [];
    for (const peer of dropped) ids.push((await peer.join('r')).peerId);
    for (const sender of senders) await sender.join('r');
    for (const peer of dropped) peer.kill();
    await expect.poll(async () => (await server?.status())?.stats.connections).toBe(6);
    const before = await server.status();
    const sdp = 'a'.repeat(48 * KiB - 100);
    // 16 peers x 20 SDPs of 48 KiB: 15 MiB if nothing bounded it (the campaign: +171 MiB).
    for (let round = 0; round < 5; round++) {
      for (const [i, sender] of senders.entries()) {
        for (const to of ids) {
          sender.send({ type: 'signal', to, data: { type: 'offer', sdp }, ref: `${round}.${i}` });
        }
        sender.send({ type: 'ping', ref: `done ${round}` });
        await sender.next('pong', 10_000, (p) => p.ref === `done ${round}`);
      }
    }
    const refused = senders.flatMap((s) => s.unread('error'));
    expect(new Set(refused.map((e) => e.code))).toEqual(new Set(['PEER_NOT_FOUND']));
    // The address holds 4 x 128 KiB: 10 SDPs of 48 KiB fit; the other 310 are refused.
    expect(refused).toHaveLength(16 * 20 - 10);
    await expect.poll(() => growth(before), { timeout: 5000, interval: 250 }).toBeLessThan(4 * MiB);
    console.log(
      `pending: the server holds ${((await growth(before)) / MiB).toFixed(1)} MiB more for 16 dropped peers sent 15 MiB (maxPendingBytes 128 KiB)`,
    );
    // A peer dropped from another address still gets its signals held and delivered.
    const localAddress = '127.0.0.3';
    const [x, y] = await Promise.all([
      connect(server, { localAddress }),
      connect(server, { localAddress }),
    ]);
    await x.join('other');
    const wy = await y.join('other');
    y.kill();
    await expect.poll(async () => (await server?.status())?.stats.connections).toBe(7);
    x.send({ type: 'signal', to: wy.peerId, data: { type: 'offer', sdp }, ref: 'held' });
    const back = await connect(server, { localAddress });
    await back.join('other', { resume: { peerId: wy.peerId, secret: wy.secret } });
    expect(((await back.next('signal')).data as { sdp: string }).sdp).toBe(sdp);
    expect(x.unread('error')).toEqual([]);
    await others.check();
  }, 60_000);
});
