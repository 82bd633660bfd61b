/**
 * What an application registers after `await joinRoom()` hears everything: Node's `ws`
 * may deliver several frames in one task, and the relay starts at once, so without care
 * the first message of a peer already in the room, or its first transport-change, would
 * come before the listener.
 */
import { describe, expect, it } from 'vitest';
import type { TransportKind } from '../../sdk/index.js';
import { useRooms, waitUntil } from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';

describe('events right after joinRoom()', () => {
  const { start } = useSignaling();
  const { join } = useRooms();

  it('reaches listeners registered once joinRoom() resolved: first messages and transport changes', async () => {
    const server = await start();
    const greeters = [await join(server.url), await join(server.url), await join(server.url)];
    for (const room of greeters)
      room.on('peer-joined', (peer) => peer.send(`hi from ${room.selfId}`));
    for (let round = 0; round < 5; round += 1) {
      const late = await join(server.url);
      const heard: string[] = [];
      const transports: TransportKind[] = [];
      late.on('message', (data) => heard.push(String(data)));
      late.on('transport-change', (_peer, transport) => transports.push(transport));
      await waitUntil(() => heard.length === 3, `round ${round}: all three greetings`, 5000);
      expect(heard.sort()).toEqual(greeters.map((g) => `hi from ${g.selfId}`).sort());
      expect(transports.slice(0, 3)).toEqual(['relay', 'relay', 'relay']);
      await late.leave();
    }
  }, 60_000);
});
