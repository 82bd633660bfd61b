import { describe, expect, it } from 'vitest';
import { PAGE_CLOSED_RETRY, useE2e } from './harness/index.js';

describe('raw RTCPeerConnection pages (harness self-test)', { retry: PAGE_CLOSED_RETRY }, () => {
  const e2e = useE2e();

  it('open a data channel through the signaling server, on loopback only', async () => {
    const a = await e2e.openPage('raw', { name: 'a' });
    const b = await e2e.openPage('raw', { name: 'b' });
    const room = e2e.room();
    const joinedA = await a.api.join(room);
    const joinedB = await b.api.join(room);
    expect(joinedA.peers).toEqual([]);
    expect(joinedB.peers).toEqual([joinedA.peerId]);
    expect(e2e.signaling.stats()).toMatchObject({ rooms: 1, peers: 2 });

    await Promise.all([a.api.waitForOpen(joinedB.peerId), b.api.waitForOpen(joinedA.peerId)]);
    await b.api.send(joinedA.peerId, 'hello from b');
    await a.api.send(joinedB.peerId, 'hello from a');
    expect(await a.api.nextMessage()).toEqual({ from: joinedB.peerId, text: 'hello from b' });
    expect(await b.api.nextMessage()).toEqual({ from: joinedA.peerId, text: 'hello from a' });

    // The launch flags give raw loopback host candidates, never mDNS `.local` names.
    const candidates = [...(await a.api.localCandidates()), ...(await b.api.localCandidates())];
    expect(candidates.some((c) => c.includes(' 127.0.0.1 '))).toBe(true);
    expect(candidates.filter((c) => c.includes('.local'))).toEqual([]);
  });
});
