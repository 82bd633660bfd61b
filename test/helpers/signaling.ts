import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, inject } from 'vitest';
import type { SignalingServerOptions } from '../../signaling/options.js';
import { createSignalingServer, type SignalingServer } from '../../signaling/server.js';
import { RawClient } from './raw-client.js';

/**
 * Per-test fixtures: `start()` runs a real server on port 0 and `connect()` opens raw
 * clients; everything is closed after each test.
 */
export function useSignaling() {
  const servers: SignalingServer[] = [];
  const clients: RawClient[] = [];
  // In the `redis` project every server of a test shares one Redis under a key prefix of
  // its own, so tests run in parallel on one redis-server without meeting.
  let store: Pick<SignalingServerOptions, 'redisUrl' | 'redisPrefix'> = {};
  beforeEach(() => {
    store = redisStore() ? { redisUrl: inject('redisUrl'), redisPrefix: `t${randomUUID()}:` } : {};
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.kill();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return {
    /** Which room store the servers use in this run. */
    store: redisStore() ? ('redis' as const) : ('memory' as const),
    async start(options: SignalingServerOptions = {}): Promise<SignalingServer> {
      const server = await createSignalingServer({ port: 0, ...store, ...options });
      servers.push(server);
      return server;
    },
    async connect(
      server: SignalingServer,
      options: { autoPong?: boolean; localAddress?: string } = {},
    ): Promise<RawClient> {
      const client = await RawClient.connect(server.url, options);
      clients.push(client);
      return client;
    },
  };
}

function redisStore(): boolean {
  return process.env.PEERLANE_TEST_STORE === 'redis';
}
