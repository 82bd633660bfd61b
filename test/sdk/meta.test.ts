import { describe, expect, it } from 'vitest';
import type { PeerlaneError } from '../../sdk/index.js';
import { nextEvent, useRooms } from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';

describe('room.setMeta', () => {
  const { start } = useSignaling();
  const { join } = useRooms();

  it('updates this peer’s metadata for the others', async () => {
    const server = await start();
    const a = await join(server.url, { meta: { name: 'a' } });
    const b = await join(server.url);
    const updated = nextEvent(b, 'peer-updated');
    a.setMeta({ name: 'Ada', video: false });
    const [peer] = await updated;
    expect(peer.id).toBe(a.selfId);
    expect(peer.meta).toEqual({ name: 'Ada', video: false });
    expect(b.peer(a.selfId)?.meta).toEqual({ name: 'Ada', video: false });
  });

  it('refuses what is not metadata, and works no more once the room is left', async () => {
    const server = await start();
    const a = await join(server.url);
    const nested = { deep: { no: 1 } } as unknown as Record<string, string>;
    expect(() => a.setMeta(nested)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as PeerlaneError,
    );
    await a.leave();
    expect(() => a.setMeta({ name: 'late' })).toThrow(
      expect.objectContaining({ code: 'LEFT_ROOM' }) as PeerlaneError,
    );
  });
});
