import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { recordMessages, useRooms, waitUntil } from '../helpers/node-peers.js';
import { PAGE_CLOSED_RETRY, useE2e } from './harness/index.js';
import { patternBytes } from './pages/pattern.js';

const MiB = 1024 * 1024;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('Node SDK peer (@roamhq/wrtc) ↔ Chromium SDK page', { retry: PAGE_CLOSED_RETRY }, () => {
  const e2e = useE2e({ sdk: true });
  // Registered after useE2e, so its afterEach (leave every Node room) runs before the
  // pages and the signaling server are closed.
  const nodePeers = useRooms();

  it('connect and exchange text and bytes both ways', async () => {
    const room = e2e.room();
    const browser = await e2e.openPage('sdk', { name: 'chromium' });
    const inBrowser = await browser.api.join(room, { meta: { runtime: 'chromium' } });
    const node = await nodePeers.join(e2e.signaling.url, { room, meta: { runtime: 'node' } });
    expect(node.peers.map((p) => [p.id, p.meta])).toEqual([
      [inBrowser.selfId, { runtime: 'chromium' }],
    ]);
    expect(await browser.api.nextPeerJoined()).toMatchObject({
      id: node.selfId,
      meta: { runtime: 'node' },
    });

    const nodeErrors: unknown[] = [];
    node.on('error', (error) => nodeErrors.push(error));
    const atNode = recordMessages(node);
    const toBrowser = node.peer(inBrowser.selfId);
    await Promise.all([
      waitUntil(() => toBrowser?.state === 'connected', 'node is connected to chromium', 10_000),
      browser.api.waitForOpen(node.selfId),
    ]);

    toBrowser?.send('hello from node');
    expect(await browser.api.nextMessage()).toEqual({ from: node.selfId, text: 'hello from node' });
    await browser.api.send(node.selfId, 'hello from chromium');
    await waitUntil(() => atNode.length === 1, 'node got the text');
    expect(atNode[0]).toEqual({ data: 'hello from chromium', from: inBrowser.selfId });

    const fromNode = patternBytes(2 * MiB, 7);
    toBrowser?.send(fromNode);
    expect(await browser.api.nextBytes(10_000)).toEqual({
      from: node.selfId,
      byteLength: fromNode.byteLength,
      sha256: sha256(fromNode),
    });
    await browser.api.sendPattern(node.selfId, 2 * MiB, 8);
    await waitUntil(() => atNode.length === 2, 'node got the bytes', 10_000);
    const received = atNode[1]?.data;
    expect(received).toBeInstanceOf(Uint8Array);
    expect(sha256(received as Uint8Array)).toBe(sha256(patternBytes(2 * MiB, 8)));
    expect(nodeErrors).toEqual([]);
  });
});
