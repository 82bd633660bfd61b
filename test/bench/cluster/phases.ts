/**
 * The cluster benchmark's phases as the orchestrator runs them against one setup: start
 * its nodes, time joins, drive signals, with the processes' CPU read around each
 * measured window.
 */
import { join } from 'node:path';
import { LOAD_CPU, SERVER_CPU } from '../signaling/phases.js';
import { Child, cpuTimes } from '../signaling/processes.js';
import type { FromLoad, FromNode, NodeUrls, Setup, ToLoad, ToNode } from './ipc.js';
import type { ClusterOptions } from './options.js';
import type { BenchRedis } from './redis-server.js';
import type { JoinFigures, SignalFigures } from './report.js';
import { startWindow, type Watched } from './usage.js';

export type LoadGenerator = Child<ToLoad, FromLoad>;
type NodeProcess = Child<ToNode, FromNode>;

const START_TIMEOUT_MS = 20_000;
/** Time allowed per join beyond a fixed minute: far over any join, even on a busy machine. */
const JOIN_BUDGET_MS = 200;

export function startLoadGenerator(pin: boolean): LoadGenerator {
  return Child.start('../cluster/load-generator.ts', [], pin ? LOAD_CPU : null);
}

/** The running nodes of one setup. */
export interface Nodes {
  urls: NodeUrls;
  pids: number[];
  /** Stops them; answers the CPU time (µs) they used in their lives. */
  stop(): Promise<number>;
}

/**
 * Starts the setup's nodes on CPU 0: one with rooms in memory, or two sharing `redis`.
 * With `--cpu-prof`, V8 profiles each node's threads into DIR/<setup>-<node id>/.
 */
export async function startNodes(
  setup: Setup,
  redis: BenchRedis | null,
  options: ClusterOptions,
): Promise<Nodes> {
  const ids = setup === 'memory' ? ['node-1'] : ['node-1', 'node-2'];
  const redisUrl = setup === 'memory' ? '-' : (redis?.url ?? '');
  if (redisUrl === '') throw new Error('the Redis setup needs a redis-server');
  const children: NodeProcess[] = ids.map((id) =>
    Child.start(
      '../cluster/node-process.ts',
      [redisUrl, id],
      options.pin ? SERVER_CPU : null,
      options.profileDir === null
        ? []
        : ['--cpu-prof', `--cpu-prof-dir=${join(options.profileDir, `${setup}-${id}`)}`],
    ),
  );
  const stop = async (): Promise<number> => {
    let spent = 0;
    for (const child of children) {
      try {
        const { user, system } = cpuTimes(child.pid);
        spent += user + system;
      } catch {}
      child.send({ cmd: 'stop' });
    }
    await Promise.all(children.map((child) => child.stop(8000)));
    return spent;
  };
  try {
    const ready = await Promise.all(children.map((child) => child.next('ready', START_TIMEOUT_MS)));
    const [first, second] = ready.map((r) => r.url);
    if (first === undefined) throw new Error('no node started');
    return { urls: [first, second ?? first], pids: children.map((child) => child.pid), stop };
  } catch (error) {
    for (const child of children) child.kill();
    throw error;
  }
}

export async function measureJoins(
  nodes: Nodes,
  load: LoadGenerator,
  watched: Watched,
  options: ClusterOptions,
): Promise<JoinFigures | string> {
  const warmup = Math.min(200, Math.ceil(options.joins / 5));
  const budgetMs = 60_000 + options.joins * JOIN_BUDGET_MS;
  load.send({
    cmd: 'joins',
    urls: nodes.urls,
    count: options.joins,
    concurrency: options.joinConcurrency,
    budgetMs,
  });
  await load.next('mark', 60_000 + warmup * JOIN_BUDGET_MS);
  const end = await startWindow(watched);
  // The load generator stops starting joins at `budgetMs`; each join is bounded too.
  const reply = await load.next('joined', budgetMs + 60_000);
  const usage = await end();
  if (reply.failed > 0) return `${reply.failed} of the joins failed: ${reply.error}`;
  const done = reply.connect.count;
  if (done < options.joins) return `only ${done} of ${options.joins} joins within the time allowed`;
  return {
    frame: reply.frame,
    connect: reply.connect,
    presence: reply.presence,
    nodeCpu: usage.nodeCpu / done,
    redisCpu: usage.redisCpu === null ? null : usage.redisCpu / done,
    commands: usage.commands === null ? null : usage.commands / done,
    othersShare: usage.othersShare,
  };
}

export async function measureSignals(
  nodes: Nodes,
  load: LoadGenerator,
  watched: Watched,
  options: ClusterOptions,
): Promise<SignalFigures | string> {
  load.send({
    cmd: 'signals',
    urls: nodes.urls,
    pairs: options.pairs,
    window: options.window,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
  });
  // A failed setup answers with an erroring `signaled` instead of `mark`.
  await load.next('mark', 60_000 + options.pairs * 50 + options.warmupMs);
  const end = await startWindow(watched);
  const reply = await load.next('signaled', options.durationMs + 60_000);
  const usage = await end();
  if (reply.error !== null) return reply.error;
  if (reply.lost > 0) return `${reply.lost} signals never arrived`;
  if (reply.other > 0) return `${reply.other} frames were not signals (errors?)`;
  const n = reply.relayed;
  return {
    rate: reply.measured / reply.seconds,
    latency: reply.latency,
    nodeCpu: usage.nodeCpu / n,
    nodeUser: usage.nodeUser / n,
    redisCpu: usage.redisCpu === null ? null : usage.redisCpu / n,
    commands: usage.commands === null ? null : usage.commands / n,
    serverBusy: (usage.nodeCpu + (usage.redisCpu ?? 0)) / usage.wallMicros,
    loadBusy: usage.loadCpu / usage.wallMicros,
    othersShare: usage.othersShare,
    meanBytes: reply.meanBytes,
  };
}
