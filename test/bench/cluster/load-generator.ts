/**
 * The cluster benchmark's load generator, alone in its process (pinned to its own core by
 * the orchestrator). Takes one command at a time over IPC ({@link ToLoad}) and answers
 * each with one reply. Every pair and every join spans the two nodes it is given: peer A
 * and the joiner on the first, peer B and the member already there on the second.
 */
import { WebSocket } from 'ws';
import { driveSignals, type Endpoint, endpoint, failedDrive } from '../shared/signal-loop.js';
import { ADAPTERS, type Adapter } from '../signaling/adapters.js';
import { connectAndJoin, describe, pool, sleep, summarize } from '../signaling/clients.js';
import type { FromLoad, NodeUrls, ToLoad } from './ipc.js';

const peerlane = ADAPTERS.peerlane;
const JOIN_TIMEOUT_MS = 10_000;
/** How long a member may take to hear of a join after the joiner's welcome. */
const PRESENCE_TIMEOUT_MS = 5_000;
const CLOSE_TIMEOUT_MS = 2_000;
const SETUP_CONCURRENCY = 50;

/** Keeps room names unique across commands against one node. */
let run = 0;

const isPeerJoined = (text: string): boolean => text.startsWith('{"type":"peer-joined"');

/**
 * Resolves with the time `ws` receives a frame that `test` accepts; null if none comes
 * within `timeoutMs` or the socket closes first. Never rejects.
 */
function arrival(
  ws: WebSocket,
  test: (text: string) => boolean,
  timeoutMs: number,
): Promise<number | null> {
  return new Promise((resolve) => {
    const done = (at: number | null): void => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      resolve(at);
    };
    const onMessage = (data: Buffer): void => {
      if (test(String(data))) done(performance.now());
    };
    const onClose = (): void => done(null);
    const timer = setTimeout(() => done(null), timeoutMs);
    ws.on('message', onMessage);
    ws.on('close', onClose);
  });
}

/** Closes sockets with 1000 (the server removes their peers at once), then cuts stragglers. */
async function closeAll(sockets: WebSocket[]): Promise<void> {
  const closed = sockets.map(
    (ws) =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) resolve();
        ws.once('close', () => resolve());
        ws.close(1000);
      }),
  );
  await Promise.race([Promise.all(closed), sleep(CLOSE_TIMEOUT_MS)]);
  for (const ws of sockets) ws.terminate();
}

interface JoinSample {
  connectMs: number;
  frameMs: number;
  presenceMs: number;
}

/**
 * One join into a fresh room whose one member joined first on the other node: times the
 * joiner's welcome (which must list that member) and the member's `peer-joined`.
 */
async function crossJoin(urls: NodeUrls, name: string): Promise<JoinSample> {
  const room = `j${name}`;
  const member = await connectAndJoin(peerlane, urls[1], `${name}m`, room, JOIN_TIMEOUT_MS);
  member.ws.on('error', () => {});
  const sockets = [member.ws];
  try {
    const heard = arrival(member.ws, isPeerJoined, JOIN_TIMEOUT_MS + PRESENCE_TIMEOUT_MS);
    let welcomedAt = 0;
    let listsMember = false;
    const watching: Adapter = {
      ...peerlane,
      joined(text, socketName) {
        const id = peerlane.joined(text, socketName);
        if (id !== undefined) {
          welcomedAt = performance.now();
          listsMember = text.includes(`"id":"${member.id}"`);
        }
        return id;
      },
    };
    const joiner = await connectAndJoin(watching, urls[0], `${name}j`, room, JOIN_TIMEOUT_MS);
    joiner.ws.on('error', () => {});
    sockets.push(joiner.ws);
    if (!listsMember) throw new Error('the welcome did not list the member on the other node');
    const frameMs = joiner.frameMs ?? Number.NaN;
    const heardAt = await heard;
    if (heardAt === null) throw new Error('the member on the other node never heard of the join');
    return { connectMs: joiner.connectMs, frameMs, presenceMs: heardAt - (welcomedAt - frameMs) };
  } finally {
    await closeAll(sockets);
  }
}

async function joins(command: Extract<ToLoad, { cmd: 'joins' }>): Promise<FromLoad> {
  const { urls, count, concurrency } = command;
  const deadline = performance.now() + command.budgetMs;
  const warmup = Math.min(200, Math.ceil(count / 5));
  const samples: JoinSample[] = [];
  let failed = 0;
  let error: string | null = null;
  const batch = async (total: number, keep: boolean, prefix: string): Promise<void> => {
    let next = 0;
    await pool(concurrency, async () => {
      if (next >= total || performance.now() > deadline) return false;
      const i = next++;
      try {
        const sample = await crossJoin(urls, `${run}${prefix}${i}`);
        if (keep) samples.push(sample);
      } catch (caught) {
        failed++;
        error ??= describe(caught);
      }
      return true;
    });
  };
  await batch(warmup, false, 'w');
  process.send?.({ kind: 'mark' } satisfies FromLoad);
  const started = performance.now();
  await batch(count, true, 'x');
  return {
    kind: 'joined',
    frame: summarize(samples.map((s) => s.frameMs)),
    connect: summarize(samples.map((s) => s.connectMs)),
    presence: summarize(samples.map((s) => s.presenceMs)),
    seconds: (performance.now() - started) / 1000,
    failed,
    error,
  };
}

async function signals(command: Extract<ToLoad, { cmd: 'signals' }>): Promise<FromLoad> {
  const { urls } = command;
  const pairs: Array<[Endpoint, Endpoint]> = [];
  const opened: WebSocket[] = [];
  let setupError: string | null = null;
  let next = 0;
  await pool(SETUP_CONCURRENCY, async () => {
    if (setupError !== null || next >= command.pairs) return false;
    const i = next++;
    const room = `s${run}-${i}`;
    try {
      const a = await connectAndJoin(peerlane, urls[0], `${room}a`, room);
      opened.push(a.ws);
      // A may signal B only once A's node has B in its view of the room.
      const heard = arrival(a.ws, isPeerJoined, JOIN_TIMEOUT_MS + PRESENCE_TIMEOUT_MS);
      const b = await connectAndJoin(peerlane, urls[1], `${room}b`, room);
      opened.push(b.ws);
      if ((await heard) === null) throw new Error('peer A never heard of peer B');
      pairs.push([
        endpoint(peerlane, a.ws, b.id, 'offer'),
        endpoint(peerlane, b.ws, a.id, 'answer'),
      ]);
    } catch (caught) {
      setupError ??= `pair ${i + 1}: ${describe(caught)}`;
    }
    return true;
  });
  for (const ws of opened) ws.on('error', () => {});
  if (setupError !== null) {
    for (const ws of opened) ws.terminate();
    return { kind: 'signaled', ...failedDrive(setupError) };
  }
  const result = await driveSignals(pairs, { ...command, rate: null }, () => {
    process.send?.({ kind: 'mark' } satisfies FromLoad);
  });
  for (const ws of opened) ws.terminate();
  return { kind: 'signaled', ...result };
}

async function handle(command: ToLoad): Promise<FromLoad | null> {
  run++;
  switch (command.cmd) {
    case 'joins':
      return joins(command);
    case 'signals':
      return signals(command);
    case 'exit':
      process.exit(0);
  }
}

process.on('message', (command: ToLoad) => {
  handle(command)
    .then((reply) => {
      if (reply) process.send?.(reply);
    })
    .catch((error: unknown) => {
      process.stderr.write(`cluster load generator: ${describe(error)}\n`);
      process.exit(1);
    });
});
process.on('disconnect', () => process.exit(0));
