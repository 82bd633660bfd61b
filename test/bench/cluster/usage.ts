/**
 * CPU time of the benchmark's processes over a measured window, from /proc: the nodes
 * (summed), redis-server, the load generator, and the cores as a whole, so that what
 * other processes took on a shared machine shows.
 */
import { coreBusyMicros, cpuTimes } from '../signaling/processes.js';
import type { BenchRedis } from './redis-server.js';

/** The processes of one setup and the cores they run on. */
export interface Watched {
  nodes: readonly number[];
  redis: BenchRedis | null;
  load: number;
  cores: readonly number[];
}

interface Reading {
  at: number;
  nodeUser: number;
  nodeCpu: number;
  redisCpu: number;
  loadCpu: number;
  coresBusy: number;
  commands: number;
}

/** CPU time over a window, in µs; redis figures are null when the setup has no Redis. */
export interface Usage {
  wallMicros: number;
  nodeUser: number;
  nodeCpu: number;
  redisCpu: number | null;
  loadCpu: number;
  /** Commands redis-server processed. */
  commands: number | null;
  /** Share of the watched cores that processes other than ours used (0–1). */
  othersShare: number;
}

async function read(watched: Watched): Promise<Reading> {
  let nodeUser = 0;
  let nodeCpu = 0;
  for (const pid of watched.nodes) {
    const { user, system } = cpuTimes(pid);
    nodeUser += user;
    nodeCpu += user + system;
  }
  const redis = watched.redis ? cpuTimes(watched.redis.pid) : { user: 0, system: 0 };
  const load = cpuTimes(watched.load);
  return {
    at: performance.now(),
    nodeUser,
    nodeCpu,
    redisCpu: redis.user + redis.system,
    loadCpu: load.user + load.system,
    coresBusy: coreBusyMicros(watched.cores),
    commands: watched.redis ? await watched.redis.commands() : 0,
  };
}

/** Starts a window; the function it answers ends it and answers the usage over it. */
export async function startWindow(watched: Watched): Promise<() => Promise<Usage>> {
  const before = await read(watched);
  return async () => {
    const after = await read(watched);
    const wallMicros = (after.at - before.at) * 1000;
    const nodeCpu = after.nodeCpu - before.nodeCpu;
    const redisCpu = after.redisCpu - before.redisCpu;
    const loadCpu = after.loadCpu - before.loadCpu;
    const ours = nodeCpu + redisCpu + loadCpu;
    const others = after.coresBusy - before.coresBusy - ours;
    return {
      wallMicros,
      nodeUser: after.nodeUser - before.nodeUser,
      nodeCpu,
      redisCpu: watched.redis ? redisCpu : null,
      loadCpu,
      commands: watched.redis ? after.commands - before.commands : null,
      othersShare: Math.max(0, others) / (watched.cores.length * wallMicros),
    };
  };
}
