/**
 * The redis-server the two nodes share, as the benchmark sees it: started with the test
 * helper, pinned like the nodes, its process id and version read from `INFO`, its
 * command count read around each measured window, flushed between rounds.
 */
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { startRedis } from '../../helpers/redis.js';

export interface BenchRedis {
  url: string;
  pid: number;
  version: string;
  /** Commands the server has processed since it started (`INFO stats`). */
  commands(): Promise<number>;
  /** Empties it, so each round's nodes start from no rooms and no other nodes. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

function field(info: string, name: string): string {
  const value = new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  if (value === undefined) throw new Error(`redis INFO has no ${name}`);
  return value;
}

/** Starts a redis-server; pins all its threads to `cpu` when not null. */
export async function startBenchRedis(cpu: number | null): Promise<BenchRedis> {
  const server = await startRedis();
  const admin = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => {});
  try {
    await admin.connect();
    const info = await admin.info('server');
    const pid = Number(field(info, 'process_id'));
    const version = field(info, 'redis_version');
    // -a: every thread (redis-server has background I/O threads), not just the main one.
    if (cpu !== null) execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)]);
    return {
      url: server.url,
      pid,
      version,
      commands: async () => Number(field(await admin.info('stats'), 'total_commands_processed')),
      flush: async () => {
        await admin.flushall();
      },
      async stop() {
        admin.disconnect();
        await server.stop();
      },
    };
  } catch (error) {
    admin.disconnect();
    await server.stop();
    throw error;
  }
}
