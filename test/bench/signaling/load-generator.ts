/**
 * The load generator, alone in its process (pinned to its own core by the orchestrator).
 * Takes one command at a time over IPC ({@link ToLoad}) and answers each with one reply.
 * It speaks each server's protocol through {@link ADAPTERS}; it never validates frames,
 * so as little of its own CPU as possible goes into reading them.
 */
import { WebSocket } from 'ws';
import { ADAPTERS } from './adapters.js';
import { connectAndJoin, describe, pool, sleep, summarize } from './clients.js';
import type { FromLoad, ToLoad } from './ipc.js';
import type { ServerKind } from './kinds.js';
import { signals } from './signal-run.js';

/** Names must never repeat against one server (PeerServer ids are client-chosen). */
let run = 0;
const held: WebSocket[] = [];

async function hold(server: ServerKind, url: string, total: number, concurrency: number) {
  const adapter = ADAPTERS[server];
  let error: string | null = null;
  let next = held.length;
  await pool(concurrency, async () => {
    if (error !== null || next >= total) return false;
    const i = next++;
    try {
      // Peerlane's sockets sit in rooms of 10, as an app's peers would.
      const joined = await connectAndJoin(adapter, url, `r${run}h${i}`, `m${Math.floor(i / 10)}`);
      joined.ws.on('error', () => {});
      held.push(joined.ws);
    } catch (caught) {
      error ??= `socket ${i + 1}: ${describe(caught)}`;
    }
    return true;
  });
  return { kind: 'held', held: held.length, error } as const;
}

/** Closes the held sockets cleanly (so no server keeps them for a resume), then cuts stragglers. */
async function release(timeoutMs = 15_000): Promise<void> {
  const sockets = held.splice(0);
  const closed = sockets.map(
    (ws) =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  );
  await Promise.race([Promise.all(closed), sleep(timeoutMs)]);
  for (const ws of sockets) ws.terminate();
}

async function joins(server: ServerKind, url: string, count: number, concurrency: number) {
  const adapter = ADAPTERS[server];
  const warmup = Math.min(200, Math.ceil(count / 5));
  const connect: number[] = [];
  const frame: number[] = [];
  let failed = 0;
  let error: string | null = null;
  let next = 0;
  await pool(concurrency, async () => {
    if (next >= warmup + count) return false;
    const i = next++;
    try {
      const joined = await connectAndJoin(adapter, url, `r${run}j${i}`, `j${i}`, 10_000);
      joined.ws.on('error', () => {});
      joined.ws.close();
      if (i < warmup) return true;
      connect.push(joined.connectMs);
      if (joined.frameMs !== null) frame.push(joined.frameMs);
    } catch (caught) {
      failed++;
      error ??= describe(caught);
    }
    return true;
  });
  return {
    kind: 'joined',
    connect: summarize(connect),
    frame: frame.length > 0 ? summarize(frame) : null,
    failed,
    error,
  } as const;
}

async function handle(command: ToLoad): Promise<FromLoad | null> {
  run++;
  switch (command.cmd) {
    case 'hold':
      return hold(command.server, command.url, command.total, command.concurrency);
    case 'release':
      await release();
      return { kind: 'released' };
    case 'joins':
      return joins(command.server, command.url, command.count, command.concurrency);
    case 'signals':
      return signals(command, run);
    case 'exit':
      for (const ws of held.splice(0)) ws.terminate();
      process.exit(0);
  }
}

process.on('message', (command: ToLoad) => {
  handle(command)
    .then((reply) => {
      if (reply) process.send?.(reply);
    })
    .catch((error: unknown) => {
      process.stderr.write(`load generator: ${describe(error)}\n`);
      process.exit(1);
    });
});
process.on('disconnect', () => process.exit(0));
