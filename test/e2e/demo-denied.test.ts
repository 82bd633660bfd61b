import { describe, expect, it } from 'vitest';
import { chatLines, expectTiles, joinCall, screenshot, sendChat, tile } from './demo-kit.js';
import { type DemoPage, PAGE_CLOSED_RETRY, useE2e } from './harness/index.js';

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

  it('says so when screen sharing is blocked, instead of doing nothing', async () => {
    const room = e2e.room();
    const alice = await e2e.openDemo(room, { name: 'alice' });
    await joinCall(alice, 'Alice');
    await alice.page.getByRole('button', { name: 'Share screen' }).click();
    const notice = alice.page.locator('[data-notice="screen"]');
    await expect
      .poll(() => notice.textContent())
      .toMatch(/^Screen sharing was cancelled or is blocked\./);
    expect(await alice.page.getByRole('button', { name: 'Share screen' }).isVisible()).toBe(true);
  });

  // Without camera and microphone (this file's flag) seven pages stay light on a loaded machine.
  it('takes six people; the seventh reads "This room is full" and is not shown to the others', async () => {
    const room = e2e.room();
    const pages: DemoPage[] = [];
    for (let i = 1; i <= 7; i += 1) pages.push(await e2e.openDemo(room, { name: `p${i}` }));
    const six = pages.slice(0, 6);
    for (const [i, page] of six.entries()) await joinCall(page, `Person ${i + 1}`);
    for (const page of six) {
      await expectTiles(page, 6);
      await expect.poll(() => page.page.locator('#people').textContent()).toBe('6 of 6 people');
    }
    const seventh = pages[6] as DemoPage;
    await seventh.page.fill('#name', 'Seven');
    await seventh.page.getByRole('button', { name: 'Join call' }).click();
    const refusal = seventh.page.getByRole('alert');
    await expect
      .poll(() => refusal.textContent(), { timeout: 10_000 })
      .toBe(
        'This room is full: it has 6 people, the most it takes. Try again when someone leaves, or start a new call.',
      );
    expect(await seventh.page.locator('#lobby').isVisible()).toBe(true);
    expect(await seventh.page.evaluate(() => window.peerlaneRoom)).toBeUndefined();
    await screenshot(seventh, 'demo-room-full.png');
    // The seventh left at once: the six never showed it, and the room has six again.
    for (const page of six) {
      expect(await page.page.locator('#grid .tile').count()).toBe(6);
      expect(await page.page.locator('#messages .chat-event', { hasText: 'Seven' }).count()).toBe(
        0,
      );
    }
    await expect
      .poll(() => e2e.demo.signaling.stats(), { timeout: 5000 })
      .toMatchObject({ peers: 6 });
  }, 60_000);
});
