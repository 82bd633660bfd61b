import { describe, expect, it } from 'vitest';
import {
  chatLines,
  expectTiles,
  expectVideoPlaying,
  joinCall,
  relayOnlyCall,
  screenshot,
  sendChat,
  tile,
} from './demo-kit.js';
import { launchFreezableChromium } from './harness/freezable-chromium.js';
import {
  CONTEXT_OPTIONS,
  type DemoPage,
  openDemoPage,
  PAGE_CLOSED_RETRY,
  useE2e,
} from './harness/index.js';

/** What the badge and the line on `peerId`'s tile say on `demo`. */
async function statusOf(demo: DemoPage, peerId: string) {
  const t = tile(demo, peerId);
  return {
    badge: await t.locator('.badge').textContent(),
    kind: await t.locator('.badge').getAttribute('data-kind'),
    detail: (await t.locator('.tile-status').isVisible())
      ? await t.locator('.tile-status').textContent()
      : '',
  };
}

describe('the demo page says what state each connection is in', {
  retry: PAGE_CLOSED_RETRY,
}, () => {
  const e2e = useE2e({ demo: true });

  it('relay only (the lobby toggle): both see "Relay · via server", each other\'s video, and the panel says how', async () => {
    const room = e2e.room();
    const { alice, bob, a, b } = await relayOnlyCall(e2e, room);
    const relayed = {
      badge: 'Relay · via server',
      kind: 'relay',
      detail: 'No direct path: video, audio and chat go through the server (a little more delay)',
    };
    // Alice goes to the relay at once; Bob, whose direct offer gets no answer, after
    // relayFallbackMs (5 s).
    await expect.poll(() => statusOf(alice, b), { timeout: 15_000 }).toEqual(relayed);
    await expect.poll(() => statusOf(bob, a), { timeout: 15_000 }).toEqual(relayed);
    // Each sees the other's video, relayed (WebCodecs through the server).
    await expectVideoPlaying(alice, b);
    await expectVideoPlaying(bob, a);
    await sendChat(alice, 'through the server');
    await expect
      .poll(() => chatLines(bob), { timeout: 5000 })
      .toEqual(['Alice: through the server']);

    // The badge is a button: the connection panel, from the keyboard.
    const badge = bob.page.getByRole('button', {
      name: 'Connection to Alice: Relay · via server. Details',
    });
    await badge.focus();
    await bob.page.keyboard.press('Enter');
    const panel = bob.page.getByRole('dialog', { name: 'Connection to Alice' });
    await panel.waitFor();
    await expect
      .poll(() => panel.locator('dd').allTextContents(), { timeout: 5000 })
      .toEqual([
        'No direct path: video, audio and chat go through the server (a little more delay)',
        'Relay: through the signaling server (WebSocket)',
        'Chat, files, audio and video (encoded in the browser, relayed by the server)',
        expect.stringMatching(/^\d+ frames at \d+×\d+, \d+ dropped$/),
      ]);
    await screenshot(bob, 'demo-relay-panel.png');
    await bob.page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    expect(await badge.evaluate((button) => button === document.activeElement)).toBe(true);
  }, 60_000);

  it('shows a direct connection’s path, candidates, RTT, bitrates, packet loss and the safety number in the panel', async () => {
    // A link with a room secret in its fragment: the call is end-to-end encrypted.
    const room = `${e2e.room()}/Abcdefghijklmnop_0123`;
    const alice = await e2e.openDemo(room, { name: 'alice' });
    const bob = await e2e.openDemo(room, { name: 'bob' });
    const a = await joinCall(alice, 'Alice');
    const b = await joinCall(bob, 'Bob');
    await expect
      .poll(async () => (await statusOf(alice, b)).kind, { timeout: 10_000 })
      .toBe('direct');
    await alice.page.getByRole('button', { name: /^Connection to Bob: Direct/ }).click();
    const panel = alice.page.getByRole('dialog', { name: 'Connection to Bob' });
    await panel.waitFor();
    const rows = async () =>
      Object.fromEntries(
        await panel
          .locator('dt')
          .evaluateAll((terms) =>
            terms.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]),
          ),
      );
    // Bitrates need two samples (2 s apart); the panel refreshes with the badges.
    await expect.poll(async () => (await rows()).Receiving, { timeout: 15_000 }).toMatch(/bit\/s$/);
    expect(await rows()).toMatchObject({
      Status: expect.stringMatching(/^Direct · \d+ ms$/),
      Path: 'Direct, on the local network',
      Candidates: 'host (you) → host (them)',
      'Round trip': expect.stringMatching(/^\d+ ms$/),
      Sending: expect.stringMatching(/bit\/s$/),
      'Packet loss': expect.stringMatching(/^\d+\.\d % \(\d+ of \d+ packets\)$/),
      'Safety number': expect.stringMatching(/^\d{4} \d{4} \d{4} — /),
    });
    // Bob's page computes the same number for the pair. A new connection (a stall's round
    // trip on a loaded machine) has a new number, known again once its handshake is done on
    // both sides: compare the two as they settle.
    const same = async () => {
      const atBob = await bob.page.evaluate(
        (id) => window.peerlaneRoom?.peer(id)?.safetyNumber(),
        a,
      );
      const shown = (await rows())['Safety number'];
      return atBob !== undefined && typeof shown === 'string' && shown.includes(atBob);
    };
    await expect.poll(same, { timeout: 10_000 }).toBe(true);
    await panel.getByRole('button', { name: 'Close' }).click();
    await panel.waitFor({ state: 'hidden' });
  }, 45_000);

  it('a person whose network vanishes: "Connection lost — waiting for Bob", then removed within 20 s of silence', async () => {
    const room = e2e.room();
    const alice = await e2e.openDemo(room, { name: 'alice' });
    // Bob in a Chromium of his own, which the test freezes whole.
    const frozen = await launchFreezableChromium();
    e2e.defer(() => frozen.kill());
    const context = await frozen.browser.newContext(CONTEXT_OPTIONS);
    const bob = await openDemoPage({ browser: 'chromium', in: context }, e2e.demo.url, room, {
      name: 'bob',
    });
    await joinCall(alice, 'Alice');
    const b = await joinCall(bob, 'Bob');
    await expectTiles(alice, 2);
    await expect
      .poll(async () => (await statusOf(alice, b)).kind, { timeout: 10_000 })
      .toBe('direct');

    const frozenAt = Date.now();
    frozen.freeze();
    const notice = alice.page.locator('[data-notice^="lost-"]');
    await expect
      .poll(() => notice.textContent(), { timeout: 15_000 })
      .toBe('Connection lost — waiting for Bob');
    const noticeAfter = Date.now() - frozenAt;
    expect(await statusOf(alice, b)).toEqual({
      badge: 'Connection lost',
      kind: 'lost',
      detail: 'Connection lost — waiting for Bob',
    });
    await screenshot(alice, 'demo-connection-lost.png');
    // Removed 20 s after the last beat heard (beats every 2 s, checked every 2 s).
    await expectTiles(alice, 1, 30_000);
    const removedAfter = Date.now() - frozenAt;
    expect(await notice.count()).toBe(0);
    await expect
      .poll(() => alice.page.locator('#messages .chat-event').last().textContent())
      .toBe("Bob's connection was lost");
    expect(await alice.page.locator('#people').textContent()).toBe('Only you');
    console.log(
      `network gone: notice after ${noticeAfter} ms, tile removed after ${removedAfter} ms`,
    );
    expect(removedAfter).toBeGreaterThanOrEqual(17_000); // not before the stated 20 s of silence (less one beat)
  }, 60_000);
});
