import { expect } from 'vitest';
import type { SignalingServer } from '../../signaling/server.js';
import type { RawClient } from './raw-client.js';

type Connect<S> = (server: S, options?: { localAddress?: string }) => Promise<RawClient>;

/** The loopback address bystanders connect from, so per-address limits on the attacker's do not touch them. */
export const BYSTANDER_ADDRESS = '127.0.0.2';

/**
 * Two peers in a room of their own, from another address, joined before an attack:
 * `check()` asserts they still exchange a signal both ways, still see each other and
 * nobody else, and that a newcomer from their address can still join.
 */
export async function bystanders<S = SignalingServer>(
  server: S,
  connect: Connect<S>,
  /** Extra fields for every join (a token when the server needs one). */
  extra: Record<string, unknown> = {},
  room = 'bystanders',
) {
  const localAddress = BYSTANDER_ADDRESS;
  const [a, b] = await Promise.all([
    connect(server, { localAddress }),
    connect(server, { localAddress }),
  ]);
  const wa = await a.join(room, extra);
  const wb = await b.join(room, extra);
  await a.next('peer-joined');
  let round = 0;
  return {
    a,
    b,
    async check(): Promise<void> {
      round++;
      a.send({ type: 'signal', to: wb.peerId, data: { type: 'offer', sdp: `ping ${round}` } });
      const offer = await b.next(
        'signal',
        5000,
        (f) => 'sdp' in f.data && f.data.sdp === `ping ${round}`,
      );
      expect(offer.from).toBe(wa.peerId);
      b.send({ type: 'signal', to: wa.peerId, data: { type: 'answer', sdp: `pong ${round}` } });
      await a.next('signal', 5000, (f) => 'sdp' in f.data && f.data.sdp === `pong ${round}`);
      // Presence untouched: nobody joined, left or changed in their room.
      for (const c of [a, b]) {
        expect(c.unread('peer-left')).toEqual([]);
        expect(c.unread('peer-joined')).toEqual([]);
        expect(c.unread('peer-updated')).toEqual([]);
        expect(c.unread('error')).toEqual([]);
      }
      const newcomer = await connect(server, { localAddress });
      const welcome = await newcomer.join(`${room}-newcomer`, extra);
      expect(welcome.peers).toEqual([]);
      newcomer.send({ type: 'leave' });
      await newcomer.next('left');
      newcomer.kill();
    },
  };
}
