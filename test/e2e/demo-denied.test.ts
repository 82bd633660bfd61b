import { describe, expect, it } from 'vitest';
import { chatLines, expectTiles, joinCall, sendChat, tile } from './demo-kit.js';
import { PAGE_CLOSED_RETRY, useE2e } from './harness/index.js';

describe('the demo page when the camera and microphone are blocked', {
  retry: PAGE_CLOSED_RETRY,
}, () => {
  // Chromium's fake permission prompt answers "Block" (the last flag of a name wins).
  const e2e = useE2e({ demo: true, launchArgs: ['--use-fake-ui-for-media-stream=deny'] });

  it('says so in plain words, and still joins the call for chat', async () => {
    const room = e2e.room();
    const alice = await e2e.openDemo(room, { name: 'alice' });
    const notice = alice.page.locator('[data-notice="media"]');
    await expect.poll(() => notice.textContent()).toMatch(/^Camera and microphone are blocked\./);
    expect(await notice.getAttribute('role')).toBe('status');
    expect(await alice.page.locator('#preview-status').textContent()).toBe('Camera off');

    const bob = await e2e.openDemo(room, { name: 'bob' });
    const a = await joinCall(alice, 'Ada Lovelace');
    const b = await joinCall(bob, 'Bob');
    await expectTiles(alice, 2);
    await expectTiles(bob, 2);
    // No camera: the avatar, with initials; no microphone: the muted mark.
    for (const [page, id] of [
      [alice, a],
      [bob, a],
    ] as const) {
      expect(await tile(page, id).getAttribute('class')).toContain('video-off');
      expect(await tile(page, id).locator('.avatar').textContent()).toBe('AL');
    }
    await tile(bob, a).locator('.tile-mic').waitFor({ state: 'visible' });
    expect(await alice.page.locator('#mic').isDisabled()).toBe(true);
    expect(await alice.page.locator('#mic .control-label').textContent()).toBe('No microphone');
    expect(await alice.page.locator('#camera .control-label').textContent()).toBe('No camera');
    await expect
      .poll(() => tile(alice, b).locator('.badge').getAttribute('data-kind'), { timeout: 5000 })
      .toBe('direct');

    await sendChat(alice, 'no camera, but I can type');
    await expect
      .poll(() => chatLines(bob), { timeout: 5000 })
      .toEqual(['Ada Lovelace: no camera, but I can type']);
  });
});
