import { describe, expect, it } from 'vitest';
import { PAGE_CLOSED_RETRY, useE2e } from './harness/index.js';

const MiB = 1024 * 1024;

describe('the WebSocket relay between Chromium pages', { retry: PAGE_CLOSED_RETRY }, () => {
  const e2e = useE2e({ sdk: true });

  it('carries messages and a 32 MiB file when no direct path exists (ICE relay-only, no TURN)', async () => {
    const room = e2e.room();
    const alice = await e2e.openPage('relay', { name: 'alice' });
    const bob = await e2e.openPage('relay', { name: 'bob' });
    // No TURN server and relay-only ICE: no candidate is ever gathered, Chromium says nothing.
    const options = { iceTransportPolicy: 'relay', relayFallbackMs: 1000 };
    const a = await alice.api.join(room, options);
    const b = await bob.api.join(room, options);
    await bob.api.send(a.selfId, 'hello over the relay');
    const first = await alice.api.nextMessage(10_000);
    expect(first).toMatchObject({ from: b.selfId, text: 'hello over the relay' });
    console.log(`join → first relayed message: ${(first.at - a.startedAt).toFixed(0)} ms`);
    expect(await alice.api.peer(b.selfId)).toEqual({ transport: 'relay', state: 'connected' });
    expect(await bob.api.peer(a.selfId)).toEqual({ transport: 'relay', state: 'connected' });
    const [sent, received] = await Promise.all([
      alice.api.sendFile(b.selfId, 32 * MiB, 7),
      bob.api.receiveFile(60_000),
    ]);
    expect(received).toEqual({ ...sent, from: a.selfId });
    expect(await alice.api.transportChanges()).toEqual([`${b.selfId} relay`]);
    // After relayFallbackMs media takes the relay too (the peers tell each other they decode).
    expect(await alice.api.mediaChanges()).toEqual([`${b.selfId} available relay`]);
    // The direct attempt was real: the SDK did make a connection (which never opened).
    expect(await alice.api.peerConnections()).toBeGreaterThan(0);
  }, 90_000);

  it("transport: 'relay' makes no RTCPeerConnection and reports relay", async () => {
    const room = e2e.room();
    const alice = await e2e.openPage('relay', { name: 'alice' });
    const bob = await e2e.openPage('relay', { name: 'bob' });
    const a = await alice.api.join(room, { transport: 'relay' });
    const b = await bob.api.join(room, { transport: 'relay' });
    await alice.api.waitForTransport(b.selfId, 'relay');
    await alice.api.send(b.selfId, 'relayed');
    expect(await bob.api.nextMessage()).toMatchObject({ from: a.selfId, text: 'relayed' });
    expect(await alice.api.peerConnections()).toBe(0);
    expect(await bob.api.peerConnections()).toBe(0);
  });
});
