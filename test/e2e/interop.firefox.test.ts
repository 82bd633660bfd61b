import { describe, expect, it } from 'vitest';
import { useE2e } from './harness/index.js';

describe('Firefox ↔ Chromium', { retry: 1 }, () => {
  const e2e = useE2e({ sdk: true, browsers: ['chromium', 'firefox'] });

  it('exchanges text both ways', async () => {
    const room = e2e.room();
    const fox = await e2e.openPage('sdk', { name: 'firefox', browser: 'firefox' });
    const chrome = await e2e.openPage('sdk', { name: 'chromium' });
    const f = await fox.api.join(room);
    const c = await chrome.api.join(room);
    await fox.api.waitForOpen(c.selfId);
    await chrome.api.waitForOpen(f.selfId);
    await fox.api.send(c.selfId, 'from firefox');
    await chrome.api.send(f.selfId, 'from chromium');
    expect(await chrome.api.nextMessage()).toEqual({ from: f.selfId, text: 'from firefox' });
    expect(await fox.api.nextMessage()).toEqual({ from: c.selfId, text: 'from chromium' });
  });
});
