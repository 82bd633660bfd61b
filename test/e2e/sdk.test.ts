import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PAGE_CLOSED_RETRY, useE2e } from './harness/index.js';
import { patternBytes } from './pages/pattern.js';

const MiB = 1024 * 1024;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('SDK browser bundle in Chromium', { retry: PAGE_CLOSED_RETRY }, () => {
  const e2e = useE2e({ sdk: true });

  it('connects two pages: text both ways, then 10 MiB of bytes, byte-exact', async () => {
    const room = e2e.room();
    const alice = await e2e.openPage('sdk', { name: 'alice' });
    const bob = await e2e.openPage('sdk', { name: 'bob' });
    // simple-peer's `global`, `process` and `Buffer` are bundled in, not set on window.
    // (zod 4 itself keeps its config and registry on globalThis, shared between copies.)
    const added = await alice.api.globalsAdded();
    expect(added.filter((name) => !name.startsWith('__zod_'))).toEqual([]);
    const a = await alice.api.join(room, { meta: { name: 'alice' } });
    const b = await bob.api.join(room, { meta: { name: 'bob' } });
    // Connected at once: messages start on the server's relay while ICE runs.
    expect(b.peers).toEqual([{ id: a.selfId, meta: { name: 'alice' }, state: 'connected' }]);
    expect(await alice.api.nextPeerJoined()).toMatchObject({ id: b.selfId, meta: { name: 'bob' } });

    await Promise.all([alice.api.waitForOpen(b.selfId), bob.api.waitForOpen(a.selfId)]);
    await alice.api.send(b.selfId, 'hello bob');
    await bob.api.send(a.selfId, 'hello alice');
    expect(await bob.api.nextMessage()).toEqual({ from: a.selfId, text: 'hello bob' });
    expect(await alice.api.nextMessage()).toEqual({ from: b.selfId, text: 'hello alice' });

    const size = 10 * MiB;
    const expected = sha256(patternBytes(size, 1));
    const sent = await alice.api.sendPattern(b.selfId, size, 1);
    expect(sent.sha256).toBe(expected);
    // A fresh channel's first burst starts slowly (1.3–4 s for ≥ 4 MiB, see the guide).
    expect(await bob.api.nextBytes(15_000)).toEqual({
      from: a.selfId,
      byteLength: size,
      sha256: expected,
    });
  });

  it('lets a third page join and meet both others', async () => {
    const room = e2e.room();
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((name) => e2e.openPage('sdk', { name })),
    );
    if (!alice || !bob || !carol) throw new Error('pages did not open');
    const a = await alice.api.join(room);
    const b = await bob.api.join(room);
    expect(await alice.api.nextPeerJoined()).toMatchObject({ id: b.selfId });
    await Promise.all([alice.api.waitForOpen(b.selfId), bob.api.waitForOpen(a.selfId)]);

    const c = await carol.api.join(room, { meta: { name: 'carol' } });
    expect(c.peers.map((p) => p.id).sort()).toEqual([a.selfId, b.selfId].sort());
    for (const page of [alice, bob]) {
      expect(await page.api.nextPeerJoined()).toMatchObject({
        id: c.selfId,
        meta: { name: 'carol' },
      });
    }
    await Promise.all([
      carol.api.waitForOpen(a.selfId),
      carol.api.waitForOpen(b.selfId),
      alice.api.waitForOpen(c.selfId),
      bob.api.waitForOpen(c.selfId),
    ]);
    expect((await carol.api.peers()).map((p) => p.state)).toEqual(['connected', 'connected']);

    await carol.api.broadcast('hi all');
    expect(await alice.api.nextMessage()).toEqual({ from: c.selfId, text: 'hi all' });
    expect(await bob.api.nextMessage()).toEqual({ from: c.selfId, text: 'hi all' });
    await alice.api.send(c.selfId, 'hi carol, from alice');
    await bob.api.send(c.selfId, 'hi carol, from bob');
    const atCarol = [await carol.api.nextMessage(), await carol.api.nextMessage()];
    expect(atCarol).toEqual(
      expect.arrayContaining([
        { from: a.selfId, text: 'hi carol, from alice' },
        { from: b.selfId, text: 'hi carol, from bob' },
      ]),
    );

    await carol.api.leave();
    expect(await alice.api.nextPeerLeft()).toEqual({ id: c.selfId, reason: 'left' });
    expect(await bob.api.nextPeerLeft()).toEqual({ id: c.selfId, reason: 'left' });
  });
});
