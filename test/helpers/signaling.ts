import { afterEach } from 'vitest';
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
  afterEach(async () => {
    for (const client of clients.splice(0)) client.kill();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return {
    async start(options: SignalingServerOptions = {}): Promise<SignalingServer> {
      const server = await createSignalingServer({ port: 0, ...options });
      servers.push(server);
      return server;
    },
    async connect(
      server: SignalingServer,
      options: { autoPong?: boolean } = {},
    ): Promise<RawClient> {
      const client = await RawClient.connect(server.url, options);
      clients.push(client);
      return client;
    },
  };
}
