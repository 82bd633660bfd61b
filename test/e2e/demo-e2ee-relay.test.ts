/**
 * The demo, as a newcomer uses it: a link with a room secret (end-to-end encrypted) and
 * "Use the relay only" — both people see each other's video through the server, sealed.
 */
import { describe, expect, it } from 'vitest';
import { chatLines, expectVideoPlaying, relayOnlyCall, sendChat, tile } from './demo-kit.js';
import { PAGE_CLOSED_RETRY, useE2e } from './harness/index.js';

describe('the demo relays an end-to-end encrypted call with video', {
  retry: PAGE_CLOSED_RETRY,
}, () => {
  const e2e = useE2e({ demo: true });

  it('relay only, with a room secret: each sees the other’s video and chat', async () => {
    const room = `${e2e.room()}/Abcdefghijklmnop_0123`; // the secret after the room name
    const { alice, bob, a, b } = await relayOnlyCall(e2e, room);
    // Alice goes to the relay at once; Bob after relayFallbackMs (5 s).
    for (const [demo, peer] of [
      [alice, b],
      [bob, a],
    ] as const) {
      await expect
        .poll(() => tile(demo, peer).locator('.badge').getAttribute('data-kind'), {
          timeout: 15_000,
        })
        .toBe('relay');
    }
    await expectVideoPlaying(alice, b);
    await expectVideoPlaying(bob, a);
    await sendChat(alice, 'sealed through the server');
    await expect
      .poll(() => chatLines(bob), { timeout: 5000 })
      .toEqual(['Alice: sealed through the server']);
  }, 60_000);
});
