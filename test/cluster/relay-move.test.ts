/**
 * A relayed transfer while one of its two peers' nodes shuts down (a rolling restart): the
 * peer resumes on another node, and the server's count of relay credit towards it, or the
 * grants from it, stay behind. Real redis-server, three nodes in this process, SDK peers in
 * Node; the moving peer reaches the cluster through a load balancer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSignalingServer, type SignalingServer } from '../../signaling/server.js';
import { fileUnderWay, recordMessages, useRooms, waitUntil } from '../helpers/node-peers.js';
import { type RedisProcess, startRedis } from '../helpers/redis.js';
import { startTcpBalancer, type TcpBalancer } from '../helpers/tcp-balancer.js';

const MiB = 1024 * 1024;

describe('a relayed file across a node shutting down', { timeout: 40_000 }, () => {
  const { join } = useRooms();
  let redis: RedisProcess | undefined;
  let balancer: TcpBalancer | undefined;
  const nodes: SignalingServer[] = [];
  afterEach(async () => {
    await balancer?.close();
    await Promise.all(nodes.splice(0).map((node) => node.close()));
    await redis?.stop();
  });

  it.each([
    ['receiver', {}],
    ['sender', { e2ee: { secret: 'a secret for the moving test' } }],
  ] as const)(
    'finishes when the %s moves to another node',
    async (moving, sealing) => {
      redis = await startRedis();
      for (const n of [1, 2, 3]) {
        nodes.push(
          await createSignalingServer({
            port: 0,
            host: '127.0.0.1',
            redisUrl: redis.url,
            nodeId: `node-${n}`,
            shutdownTimeoutMs: 200,
          }),
        );
      }
      const [one, two, three] = nodes as [SignalingServer, SignalingServer, SignalingServer];
      balancer = await startTcpBalancer(two.port);
      const options = {
        transport: 'relay' as const,
        reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
        ...sealing,
      };
      // The moving peer comes through the balancer (node 2, then node 3); the other is on node 1.
      const [aUrl, bUrl] = moving === 'sender' ? [balancer.url, one.url] : [one.url, balancer.url];
      const a = await join(aUrl, options);
      const b = await join(bUrl, options);
      await waitUntil(() => a.peer(b.selfId)?.state === 'connected', 'a has b over the relay');
      const left: string[] = [];
      const errors: string[] = [];
      for (const room of [a, b]) {
        room.on('peer-left', (peer) => left.push(peer.id));
        room.on('error', (error) => errors.push(`${error.code}: ${error.message}`));
      }
      const transfer = await fileUnderWay(a, b, 'moving');
      // Numbered messages all along, some lost on the way as the node goes.
      const messages = recordMessages(b);
      let numbered = 0;
      const stream = setInterval(() => {
        for (let i = 0; i < 5; i += 1) a.peer(b.selfId)?.send(String(++numbered));
      }, 10);
      await new Promise((resolve) => setTimeout(resolve, 300));
      balancer.target = three.port;
      await two.close(); // its clients are told to go elsewhere (1001) and resume there
      const movedAt = transfer.sending.progress.bytesConfirmed;
      await waitUntil(() => three.stats().peers === 1, 'the peer resumed on node 3');
      await new Promise((resolve) => setTimeout(resolve, 300));
      clearInterval(stream);
      const [arrived, sent] = await transfer.hashes();
      expect(arrived).toBe(sent);
      expect(movedAt).toBeLessThan(24 * MiB); // the move happened mid-transfer
      await waitUntil(() => messages.length === numbered, 'every message arrived');
      expect(messages.map(({ data }) => Number(data))).toEqual(
        Array.from({ length: numbered }, (_, i) => i + 1),
      );
      expect(left).toEqual([]); // a silent resume: nobody left
      expect(errors).toEqual([]); // and nothing lost for good: no error
    },
    40_000,
  );
});
