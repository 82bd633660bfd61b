import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSignalingServer } from '../../signaling/server.js';
import type { TurnOptions } from '../../signaling/turn.js';
import { type TurnServer, useTurn } from '../helpers/turn.js';
import { PAGE_CLOSED_RETRY, useE2e } from './harness/index.js';

describe('TURN through coturn, and the relay when TURN refuses, in Chromium', {
  retry: PAGE_CLOSED_RETRY,
}, () => {
  const e2e = useE2e({ sdk: true });
  const turn = useTurn();

  /** A signaling server of this test that issues credentials for `turnOptions`. */
  async function serverWith(turnOptions: TurnOptions) {
    const server = await createSignalingServer({
      port: 0,
      shutdownTimeoutMs: 1000,
      turn: turnOptions,
    });
    e2e.defer(() => server.close());
    return server;
  }

  /** Two pages joined with `options`; resolves when each sees the other on `transport`. */
  async function pair(options: Record<string, unknown>, transport: string) {
    const room = e2e.room();
    const alice = await e2e.openPage('relay', { name: 'alice' });
    const bob = await e2e.openPage('relay', { name: 'bob' });
    const a = await alice.api.join(room, options);
    const b = await bob.api.join(room, options);
    const [atA, atB] = await Promise.all([
      alice.api.waitForTransport(b.selfId, transport, 15_000),
      bob.api.waitForTransport(a.selfId, transport, 15_000),
    ]);
    console.log(
      `join → ${transport}: alice ${(atA - a.startedAt).toFixed(0)} ms, bob ${(atB - b.startedAt).toFixed(0)} ms`,
    );
    return { alice, bob, a, b };
  }

  it('connects through coturn with the credentials the server issues (relay-only ICE): transport turn', async () => {
    const coturn = await turn.start();
    const server = await serverWith({ urls: [coturn.url], secret: coturn.secret });
    const options = { url: server.url, iceTransportPolicy: 'relay', relayFallbackMs: 10_000 };
    const { alice, bob, a, b } = await pair(options, 'turn');
    expect(await alice.api.peer(b.selfId)).toEqual({ transport: 'turn', state: 'connected' });
    expect(await bob.api.peer(a.selfId)).toEqual({ transport: 'turn', state: 'connected' });
    const path = await alice.api.candidatePath(b.selfId);
    expect(path).toMatchObject({ path: 'turn', local: 'relay', relayProtocol: 'udp' });
    expect(new Set(await alice.api.gatheredCandidates())).toEqual(new Set(['relay']));
    await alice.api.send(b.selfId, 'through coturn');
    expect(await bob.api.nextMessage()).toMatchObject({ from: a.selfId, text: 'through coturn' });
    await bob.api.send(a.selfId, 'and back');
    expect(await alice.api.nextMessage()).toMatchObject({ from: b.selfId, text: 'and back' });
    // Messages start on the relay while ICE runs, then TURN takes them.
    expect(await alice.api.transportChanges()).toEqual([`${b.selfId} relay`, `${b.selfId} turn`]);
    expect(await alice.api.mediaChanges()).toEqual([`${b.selfId} available direct`]);
  }, 60_000);

  /** ICE servers for `coturn` built by hand in the REST convention, expired an hour ago. */
  const expired = (coturn: TurnServer): RTCIceServer[] => {
    const username = `${Math.floor(Date.now() / 1000) - 3600}:peerlane`;
    const credential = createHmac('sha1', coturn.secret).update(username).digest('base64');
    return [{ urls: coturn.url, username, credential }];
  };

  const refusals: Array<[string, (coturn: TurnServer) => Promise<Record<string, unknown>>]> = [
    [
      'the server signs with a wrong secret',
      async (coturn) => {
        const server = await serverWith({ urls: [coturn.url], secret: 'not-the-coturn-secret' });
        return { url: server.url };
      },
    ],
    ['the app passes expired credentials', async (coturn) => ({ iceServers: expired(coturn) })],
  ];

  it.each(refusals)(
    'falls back to the WebSocket relay when coturn refuses (401): %s',
    async (_, setup) => {
      const coturn = await turn.start();
      const options = {
        ...(await setup(coturn)),
        iceTransportPolicy: 'relay',
        relayFallbackMs: 1000,
      };
      const { alice, bob, a, b } = await pair(options, 'relay');
      // No direct connection by relayFallbackMs: media takes the relay (WebCodecs).
      expect(await alice.api.waitForMediaState(b.selfId, 'available', 8000)).toEqual({
        state: 'available',
        route: 'relay',
      });
      await bob.api.waitForMediaState(a.selfId, 'available', 8000);
      // coturn refused (401) and relay-only ICE gathered nothing at all.
      for (const page of [alice, bob]) {
        expect(await page.api.iceCandidateErrors()).toContain(401);
        expect(await page.api.gatheredCandidates()).toEqual([]);
      }
      expect(await alice.api.transportChanges()).toEqual([`${b.selfId} relay`]);
      await alice.api.send(b.selfId, 'over the WebSocket relay');
      expect(await bob.api.nextMessage()).toMatchObject({
        from: a.selfId,
        text: 'over the WebSocket relay',
      });
      await bob.api.send(a.selfId, 'and back');
      expect(await alice.api.nextMessage()).toMatchObject({ from: b.selfId, text: 'and back' });
      expect(await alice.api.peer(b.selfId)).toEqual({ transport: 'relay', state: 'connected' });
    },
    60_000,
  );
});
