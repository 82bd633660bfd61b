import { describe, expect, it } from 'vitest';
import { meshConnected, recordMessages, useRooms, waitUntil } from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';

describe('mesh of Node peers', () => {
  const { start } = useSignaling();
  const { join } = useRooms();

  it('connects two peers and carries text and bytes both ways, types intact', async () => {
    const server = await start();
    const a = await join(server.url, { meta: { name: 'a' } });
    const b = await join(server.url, { meta: { name: 'b' } });
    expect(b.peers.map((p) => [p.id, p.meta])).toEqual([[a.selfId, { name: 'a' }]]);
    await waitUntil(() => meshConnected([a, b]), 'a and b are connected');
    const atA = recordMessages(a);
    const atB = recordMessages(b);
    a.peer(b.selfId)?.send('hello b');
    a.peer(b.selfId)?.send(new Uint8Array([1, 2, 3]));
    b.peer(a.selfId)?.send('hello a');
    b.peer(a.selfId)?.send(new Uint8Array([4, 5]).buffer);
    await waitUntil(() => atA.length === 2 && atB.length === 2, 'both got two messages');
    expect(atB).toEqual([
      { data: 'hello b', from: a.selfId },
      { data: new Uint8Array([1, 2, 3]), from: a.selfId },
    ]);
    expect(atA).toEqual([
      { data: 'hello a', from: b.selfId },
      { data: new Uint8Array([4, 5]), from: b.selfId },
    ]);
    expect(typeof atB[0]?.data).toBe('string');
    expect(atB[1]?.data).toBeInstanceOf(Uint8Array);
  });
});
