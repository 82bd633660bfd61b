import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dropFiles, fileRow, savedFile, saveFilesTo, screenshot, twoInACall } from './demo-kit.js';
import { type DemoPage, PAGE_CLOSED_RETRY, useE2e } from './harness/index.js';

const MiB = 1024 * 1024;
const pattern = (size: number) => new Uint8Array(size).map((_, i) => (i * 31) % 251);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const stateText = (demo: DemoPage, name: string) =>
  fileRow(demo, name).locator('.transfer-state').textContent();

// Each test opens two demo pages in a call (cameras encoding) before its file moves: on a
// loaded CI machine, beside another browser file, that alone took 5–8 s here, and a test
// 15–25 s, past the 20 s default.
describe('the demo page: files only with the receiver’s consent', {
  retry: PAGE_CLOSED_RETRY,
  timeout: 60_000,
}, () => {
  const e2e = useE2e({ demo: true });

  /** Alice and Bob in a call, on a direct connection. */
  async function twoDirect() {
    const { alice, bob, b } = await twoInACall(e2e);
    await expect
      .poll(
        () => alice.page.locator(`#grid .tile[data-peer="${b}"] .badge`).getAttribute('data-kind'),
        {
          timeout: 10_000,
        },
      )
      .toBe('direct');
    return { alice, bob, b };
  }

  it('Decline: nothing arrives, and Alice reads "Bob declined"', async () => {
    const { alice, bob } = await twoDirect();
    await dropFiles(alice, [{ name: 'holiday.jpg', size: 200_000, type: 'image/jpeg' }]);
    const offer = fileRow(bob, 'holiday.jpg');
    await expect
      .poll(() => stateText(bob, 'holiday.jpg'), { timeout: 5000 })
      .toBe('Alice wants to send you this file');
    expect(await offer.locator('.file-size').textContent()).toBe('195 KB');
    await screenshot(bob, 'demo-file-offer.png');
    await offer.getByRole('button', { name: 'Decline holiday.jpg' }).click();
    expect(await stateText(bob, 'holiday.jpg')).toBe('You declined');
    await expect
      .poll(() => stateText(alice, 'holiday.jpg'), { timeout: 5000 })
      .toBe('Bob declined');
    expect(await fileRow(alice, 'holiday.jpg').getAttribute('data-state')).toBe('failed');
    expect(await bob.page.locator('#messages .file-link, #messages img').count()).toBe(0);
  });

  it('Accept where the browser saves to disk: streamed into the chosen file, SHA-256 equal', async () => {
    const { alice, bob } = await twoDirect();
    await saveFilesTo(bob, true);
    await dropFiles(alice, [{ name: 'data.bin', size: 2 * MiB }]);
    await fileRow(bob, 'data.bin').getByRole('button', { name: 'Accept data.bin' }).click();
    await expect
      .poll(() => stateText(bob, 'data.bin'), { timeout: 15_000 })
      .toBe('Saved as data.bin');
    expect(await savedFile(bob, 'data.bin')).toEqual({
      size: 2 * MiB,
      sha256: sha256(pattern(2 * MiB)),
    });
    await expect.poll(() => stateText(alice, 'data.bin')).toBe('Sent to Bob');
  });

  it('a sender who cancels mid-way (the rows say a call slows it): "You cancelled" there, "Alice cancelled" here', async () => {
    const { alice, bob } = await twoDirect();
    await saveFilesTo(bob, true);
    await dropFiles(alice, [{ name: 'big.bin', size: 64 * MiB }]);
    await fileRow(bob, 'big.bin').getByRole('button', { name: 'Accept big.bin' }).click();
    await expect
      .poll(() => fileRow(alice, 'big.bin').getAttribute('data-state'), { timeout: 10_000 })
      .toBe('transferring');
    // In a call, files keep to the call's pace, and both rows say so.
    for (const demo of [alice, bob]) {
      await expect
        .poll(() => stateText(demo, 'big.bin'), { timeout: 5000 })
        .toContain('slower during the call, so it stays smooth');
    }
    await fileRow(alice, 'big.bin').getByRole('button', { name: 'Cancel big.bin' }).click();
    await expect.poll(() => stateText(alice, 'big.bin')).toBe('You cancelled');
    await expect.poll(() => stateText(bob, 'big.bin'), { timeout: 5000 }).toBe('Alice cancelled');
    expect(await bob.page.getByRole('button', { name: 'Cancel big.bin' }).isVisible()).toBe(false);
  });

  it('an empty file ends with a full bar; the sender’s row is named from the start', async () => {
    const { alice, bob } = await twoDirect();
    await saveFilesTo(bob, false);
    await dropFiles(alice, [
      { name: 'empty.txt', size: 0 },
      { name: 'second.txt', size: 10 },
    ]);
    // Two rows, each with its own name at once (the SDK used to say "file" until it opened the source).
    expect(
      await alice.page.locator('#messages .transfer-row .file-name').allTextContents(),
    ).toEqual(['empty.txt', 'second.txt']);
    for (const name of ['empty.txt', 'second.txt']) {
      await fileRow(bob, name)
        .getByRole('button', { name: `Accept ${name}` })
        .click();
    }
    for (const page of [alice, bob]) {
      await expect
        .poll(() => fileRow(page, 'empty.txt').getAttribute('data-state'), { timeout: 10_000 })
        .toBe('complete');
      const bar = await fileRow(page, 'empty.txt')
        .locator('progress')
        .evaluate((progress) => (progress as HTMLProgressElement).position);
      expect(bar).toBe(1);
    }
  });

  it('an offer too large for a browser that keeps files in memory can only be declined, and says why', async () => {
    const { alice, bob, b } = await twoDirect();
    await saveFilesTo(bob, false);
    // A stream announced at 600 MiB: the offer carries the size; no byte moves before Accept.
    await alice.page.evaluate(
      ({ id, size }) => {
        const peer = window.peerlaneRoom?.peer(id);
        if (!peer) throw new Error('Bob is not in the room');
        const stream = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
        const transfer = peer.sendFile(stream, { name: 'huge.iso', size });
        (window as unknown as { huge: Promise<string> }).huge = transfer.done.then(
          () => 'done',
          (error: { code?: string }) => error.code ?? 'no code',
        );
      },
      { id: b, size: 600 * MiB },
    );
    const offer = fileRow(bob, 'huge.iso');
    await expect
      .poll(() => stateText(bob, 'huge.iso'), { timeout: 5000 })
      .toBe(
        'Too large for this browser (over 512 MB): it cannot save straight to disk. Open the call in Chrome or Edge on a computer to receive it.',
      );
    expect(await offer.getByRole('button', { name: 'Accept huge.iso' }).isDisabled()).toBe(true);
    await offer.getByRole('button', { name: 'Decline huge.iso' }).click();
    expect(
      await alice.page.evaluate(() => (window as unknown as { huge: Promise<string> }).huge),
    ).toBe('TRANSFER_REJECTED');
  });
});
