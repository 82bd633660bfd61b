import { describe, expect, it } from 'vitest';
import { PeerlaneError } from '../../sdk/index.js';
import { createRoomToken } from '../../signaling/tokens.js';
import { nextEvent, useRooms, waitUntil } from '../helpers/node-peers.js';
import { useSignaling } from '../helpers/signaling.js';

const secret = 'sdk-token-test-secret-sdk-token-test';

describe('joinRoom', () => {
  const { start } = useSignaling();
  const { join } = useRooms();

  describe('token', () => {
    it('joins a server that requires tokens, and the others see its identity', async () => {
      const server = await start({ auth: { secret } });
      const alice = await join(server.url, {
        token: await createRoomToken({ secret, room: 'test-room', sub: 'alice' }),
      });
      const bob = await join(server.url, {
        token: await createRoomToken({ secret, room: 'test-room', sub: 'bob' }),
      });
      await waitUntil(() => bob.peers.length === 1, 'bob sees alice');
      expect(alice.selfId).not.toBe(bob.selfId);
    });

    it('rejects with the server code when the token is missing or for another room', async () => {
      const server = await start({ auth: { secret } });
      const missing = join(server.url);
      await expect(missing).rejects.toBeInstanceOf(PeerlaneError);
      await expect(missing).rejects.toMatchObject({ code: 'AUTH_REQUIRED' });
      const wrongRoom = join(server.url, {
        token: await createRoomToken({ secret, room: 'elsewhere' }),
      });
      await expect(wrongRoom).rejects.toMatchObject({ code: 'ROOM_NOT_ALLOWED' });
    });

    it('asks a token function for a fresh token on every connect', async () => {
      const server = await start({ auth: { secret }, shutdownTimeoutMs: 200 });
      let fetched = 0;
      const room = await join(server.url, {
        reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
        token: () => {
          fetched++;
          return createRoomToken({ secret, room: 'test-room' });
        },
      });
      expect(fetched).toBe(1);
      const states: string[] = [];
      room.on('signaling-state', (state) => states.push(state));
      await server.close();
      const again = await start({ auth: { secret }, port: server.port });
      await nextEvent(room, 'signaling-state', (state) => state === 'connected', 10_000);
      expect(fetched).toBeGreaterThanOrEqual(2);
      expect(again.stats().peers).toBe(1);
    });

    it('drops broadcasts from a peer whose token forbids them, but not its direct messages', async () => {
      const server = await start({ auth: { secret } });
      const muted = await join(server.url, {
        transport: 'relay',
        token: await createRoomToken({
          secret,
          room: 'test-room',
          sub: 'muted',
          perms: { broadcast: false },
        }),
      });
      const listener = await join(server.url, {
        transport: 'relay',
        token: await createRoomToken({ secret, room: 'test-room', sub: 'listener' }),
      });
      await waitUntil(
        () => listener.peers.length === 1 && muted.peers.length === 1,
        'both see each other',
      );
      const sender = listener.peers[0];
      expect(sender).toMatchObject({
        identity: 'muted',
        perms: { publish: true, relay: true, broadcast: false },
      });
      const refused = nextEvent(listener, 'error');
      muted.broadcast('to everyone');
      const [error] = await refused;
      expect(error).toMatchObject({ code: 'FORBIDDEN', peerId: muted.selfId });
      const direct = nextEvent(listener, 'message');
      muted.peers[0]?.send('just to you');
      const [data, from] = await direct;
      expect(data).toBe('just to you');
      expect(from.id).toBe(muted.selfId);
      // And the other way round a broadcast is fine.
      const heard = nextEvent(muted, 'message');
      listener.broadcast('hello all');
      expect((await heard)[0]).toBe('hello all');
    });

    it('reports a token function that fails as TOKEN_UNAVAILABLE', async () => {
      const server = await start({ auth: { secret } });
      const failing = join(server.url, {
        token: () => Promise.reject(new Error('identity provider down')),
      });
      await expect(failing).rejects.toMatchObject({
        code: 'TOKEN_UNAVAILABLE',
        message: 'the token function failed',
      });
    });
  });
});
