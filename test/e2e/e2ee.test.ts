import { describe, expect, it } from 'vitest';
import { signalingWithTurn, useTurn } from '../helpers/turn.js';
import { PAGE_CLOSED_RETRY, useE2e } from './harness/index.js';

const MiB = 1024 * 1024;
const e2ee = { secret: 'a room secret only the pages know' };

describe('end-to-end encryption between Chromium pages', { retry: PAGE_CLOSED_RETRY }, () => {
  const e2e = useE2e({ sdk: true });
  const turn = useTurn();

  async function pair(options: Record<string, unknown>, secrets = [e2ee, e2ee]) {
    const room = e2e.room();
    const alice = await e2e.openPage('relay', { name: 'alice' });
    const bob = await e2e.openPage('relay', { name: 'bob' });
    const a = await alice.api.join(room, { ...options, e2ee: secrets[0] });
    const b = await bob.api.join(room, { ...options, e2ee: secrets[1] });
    return { alice, bob, a, b };
  }

  it('connects directly with signed handshakes; both pages show the same safety number', async () => {
    const { alice, bob, a, b } = await pair({});
    await alice.api.waitForTransport(b.selfId, 'direct');
    await bob.api.waitForTransport(a.selfId, 'direct');
    await alice.api.send(b.selfId, 'signed and sealed');
    expect(await bob.api.nextMessage()).toMatchObject({
      from: a.selfId,
      text: 'signed and sealed',
    });
    const [atAlice, atBob] = [
      await alice.api.safetyNumber(b.selfId),
      await bob.api.safetyNumber(a.selfId),
    ];
    expect(atAlice).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect(atBob).toBe(atAlice);
  });

  it('connects through coturn (relay-only ICE) with signed handshakes: transport turn, one safety number, a file', async () => {
    const server = await signalingWithTurn(await turn.start(), e2e.defer);
    const { alice, bob, a, b } = await pair({
      url: server.url,
      iceTransportPolicy: 'relay',
      relayFallbackMs: 10_000,
    });
    await alice.api.waitForTransport(b.selfId, 'turn', 15_000);
    await bob.api.waitForTransport(a.selfId, 'turn', 15_000);
    expect(await alice.api.candidatePath(b.selfId)).toMatchObject({ path: 'turn', local: 'relay' });
    const [atAlice, atBob] = [
      await alice.api.safetyNumber(b.selfId),
      await bob.api.safetyNumber(a.selfId),
    ];
    expect(atAlice).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect(atBob).toBe(atAlice);
    const [sent, got] = await Promise.all([
      alice.api.sendFile(b.selfId, 4 * MiB, 9),
      bob.api.receiveFile(60_000),
    ]);
    expect(got).toEqual({ ...sent, from: a.selfId });
  }, 60_000);

  it('seals messages and a file over the relay', async () => {
    const { alice, bob, a, b } = await pair({ transport: 'relay' });
    await alice.api.waitForTransport(b.selfId, 'relay');
    await alice.api.send(b.selfId, 'through the server, sealed');
    expect(await bob.api.nextMessage()).toMatchObject({ text: 'through the server, sealed' });
    const [sent, got] = await Promise.all([
      alice.api.sendFile(b.selfId, 8 * MiB, 5),
      bob.api.receiveFile(60_000),
    ]);
    expect(got).toEqual({ ...sent, from: a.selfId });
  }, 60_000);

  it('refuses a page with another secret: E2EE_MISMATCH, naming it', async () => {
    const { alice, bob, a, b } = await pair({}, [e2ee, { secret: 'not the same secret at all' }]);
    for (const page of [alice, bob]) page.allowErrors(/E2EE_MISMATCH/);
    await expect
      .poll(async () => [...(await alice.api.errorCodes()), ...(await bob.api.errorCodes())], {
        timeout: 10_000,
      })
      .toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^E2EE_MISMATCH (${a.selfId}|${b.selfId})$`)),
        ]),
      );
  });
});
