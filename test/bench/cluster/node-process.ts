/**
 * One Peerlane node under test, alone in its process so its CPU time can be read from
 * /proc. argv[2] is the Redis URL to share rooms through, or `-` for rooms in memory;
 * argv[3] the node id. Sends `ready` with its URL; closes and exits on `stop`.
 */
import { createSignalingServer } from '../../../signaling/server.js';
import { BENCH_LIMITS } from '../shared/peerlane-limits.js';
import type { FromNode, ToNode } from './ipc.js';

function send(message: FromNode): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const [, , redisUrl = '-', nodeId = 'bench'] = process.argv;
  const server = await createSignalingServer({
    port: 0,
    host: '127.0.0.1',
    nodeId,
    ...(redisUrl === '-' ? {} : { redisUrl }),
    ...BENCH_LIMITS,
  });
  process.on('message', (message: ToNode) => {
    if (message.cmd !== 'stop') return;
    // Closing deregisters the node from Redis; the orchestrator kills it if that hangs.
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.on('disconnect', () => process.exit(0));
  send({ kind: 'ready', url: server.url });
}

main().catch((error: unknown) => {
  send({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});
