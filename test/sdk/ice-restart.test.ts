import { describe, expect, it } from 'vitest';
import type { JoinRoomOptions, Room } from '../../sdk/index.js';
import {
  firstEvent,
  meshDirect,
  nextEvent,
  recordingWrtc,
  recordMessages,
  useRooms,
  waitUntil,
} from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';
import { useTurn } from '../helpers/turn.js';

/**
 * The candidate types of the pair a connection uses, e.g. ['relay', 'relay'], read from
 * getStats() (polled for up to 3 s: stats lag the connection a little).
 */
async function selectedPair(pc: RTCPeerConnection | undefined): Promise<string[]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const reports = [...((await pc?.getStats())?.values() ?? [])] as Array<Record<string, unknown>>;
    const byId = new Map(reports.map((r) => [r.id, r]));
    const transport = reports.find((r) => r.type === 'transport' && r.selectedCandidatePairId);
    const pair =
      byId.get(transport?.selectedCandidatePairId) ??
      reports.find((r) => r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded');
    if (pair || Date.now() > deadline) {
      return [pair?.localCandidateId, pair?.remoteCandidateId].map((id) =>
        String(byId.get(id)?.candidateType),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('ICE restart after a real transport break (TURN relay killed)', () => {
  const { start } = useSignaling();
  const { join } = useRooms();
  const turn = useTurn();

  /** Two peers connected only through a fresh coturn, whose address comes in the welcome. */
  async function relayedPair(options: Partial<JoinRoomOptions>, serverRelay = true) {
    const relay = await turn.start();
    const server = await start({ iceServers: relay.iceServers, relay: serverRelay });
    const wrtc = [recordingWrtc(), recordingWrtc()] as const;
    const common = { iceTransportPolicy: 'relay' as const, iceRestartDelayMs: 200, ...options };
    const first = await join(server.url, { ...common, wrtc: wrtc[0] });
    const second = await join(server.url, { ...common, wrtc: wrtc[1] });
    await waitUntil(() => meshDirect([first, second]), 'the pair is connected');
    expect(await selectedPair(wrtc[0].connections[0])).toEqual(['relay', 'relay']);
    // The smaller id makes the offers, and so the ICE restarts.
    const [offerer, answerer, offererWrtc] =
      first.selfId < second.selfId
        ? ([first, second, wrtc[0]] as const)
        : ([second, first, wrtc[1]] as const);
    return { relay, offerer, answerer, offererWrtc, wrtc };
  }

  const peerIn = (room: Room, other: Room) => room.peer(other.selfId);

  it('restores the link on the same RTCPeerConnection when TURN comes back', async () => {
    // Without the server's relay, so the link's state is the direct route's (with it, the
    // relay would carry on meanwhile: test/sdk/relay-switch.test.ts).
    const { relay, offerer, answerer, offererWrtc, wrtc } = await relayedPair(
      { iceRestartTimeoutMs: 20_000 },
      false,
    );
    const pair = [offerer, answerer];
    const [atOfferer, atAnswerer] = [recordMessages(offerer), recordMessages(answerer)];
    const states = pair.map((room) => {
      const seen: string[] = [];
      room.on('connection-state', (_peer, state) => seen.push(state));
      return seen;
    });
    peerIn(offerer, answerer)?.send('before');
    await waitUntil(() => atAnswerer.length === 1, 'the first message arrived');

    await relay.kill();
    // Either side may notice first (ICE events, or 10 s without a frame).
    await firstEvent(pair, 'connection-state', (_p, state) => state === 'reconnecting', 15_000);
    peerIn(offerer, answerer)?.send('during');
    peerIn(answerer, offerer)?.send(new Uint8Array([42]));
    await relay.restart();
    await waitUntil(() => meshDirect(pair), 'both sides are connected again', 15_000);

    peerIn(offerer, answerer)?.send('after');
    await waitUntil(
      () => atAnswerer.length === 3 && atOfferer.length === 1,
      'all messages arrived',
    );
    expect(atAnswerer.map((m) => m.data)).toEqual(['before', 'during', 'after']);
    expect(atOfferer.map((m) => m.data)).toEqual([new Uint8Array([42])]);
    for (const seen of states) {
      // Each side either never noticed, or went reconnecting → connected (possibly twice).
      expect(seen.every((s, i) => s === (i % 2 === 0 ? 'reconnecting' : 'connected'))).toBe(true);
      expect(seen.length % 2).toBe(0);
    }
    expect(states.flat()).toContain('reconnecting');
    // The same RTCPeerConnection on each side, renegotiated with fresh ICE credentials.
    expect(wrtc.map((w) => w.connections.length)).toEqual([1, 1]);
    expect(offererWrtc.offers.some((o) => o.iceRestart === true)).toBe(true);
    expect(await selectedPair(offererWrtc.connections[0])).toEqual(['relay', 'relay']);
  }, 40_000);

  it('reports the peer failed with PEER_UNREACHABLE when the restart cannot succeed', async () => {
    // Without the server's WebSocket relay, which would take over (test/sdk/relay.test.ts).
    const { relay, offerer, answerer } = await relayedPair({ iceRestartTimeoutMs: 1500 }, false);
    const pair = [offerer, answerer];
    const errors: string[] = [];
    for (const room of pair)
      room.on('error', (error) => errors.push(`${error.code} ${error.peerId}`));
    await relay.kill();
    const [noticed] = await firstEvent(
      pair,
      'connection-state',
      (_p, state) => state === 'reconnecting',
      15_000,
    );
    const other = noticed === offerer ? answerer : offerer;
    const peer = peerIn(noticed, other);
    peer?.send('never delivered');
    const [failedPeer] = await nextEvent(
      noticed,
      'connection-state',
      (_p, state) => state === 'failed',
      5000,
    );
    expect(failedPeer).toBe(peer);
    expect(peer?.state).toBe('failed');
    expect(errors).toEqual([`PEER_UNREACHABLE ${other.selfId}`]);
    expect(() => peer?.send('x')).toThrow(expect.objectContaining({ code: 'PEER_UNREACHABLE' }));
    // Still in the room: presence and the connection are separate things.
    expect(noticed.peers.map((p) => p.id)).toEqual([other.selfId]);
    // The other side hears nothing more either, and gives up too.
    await waitUntil(
      () => peerIn(other, noticed)?.state === 'failed',
      'the other side failed',
      15_000,
    );
    expect(errors).toEqual([
      `PEER_UNREACHABLE ${other.selfId}`,
      `PEER_UNREACHABLE ${noticed.selfId}`,
    ]);
  }, 40_000);
});
