/**
 * The load generator, alone in its process (pinned to its own core by the orchestrator).
 * Takes one command at a time over IPC ({@link ToLoad}) and answers each with one reply.
 * It speaks each server's protocol through {@link ADAPTERS}; it never validates frames,
 * so as little of its own CPU as possible goes into reading them.
 */
import { WebSocket } from 'ws';
import { ADAPTERS, type Adapter } from './adapters.js';
import type { FromLoad, ServerKind, Summary, ToLoad } from './ipc.js';
import { dataTemplate, readStamp, type SignalKind, stamper } from './payloads.js';

const CLIENT_OPTIONS = { perMessageDeflate: false, skipUTF8Validation: true };
const JOIN_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 10_000;
/** Latency samples kept per run (8 bytes each); later ones are counted, not kept. */
const MAX_SAMPLES = 4_000_000;
/** One signal in this many is a session description; the rest are ICE candidates. */
const SDP_EVERY = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Names must never repeat against one server (PeerServer ids are client-chosen). */
let run = 0;
const held: WebSocket[] = [];

interface Joined {
  ws: WebSocket;
  id: string;
  /** Socket opening started → join acknowledged, in ms. */
  connectMs: number;
  /** Join frame sent → join acknowledged, in ms; null when opening is the join. */
  frameMs: number | null;
}

/** Opens a socket and joins; rejects on error, early close, or after `timeoutMs`. */
function connectAndJoin(
  adapter: Adapter,
  base: string,
  name: string,
  room: string,
  timeoutMs = JOIN_TIMEOUT_MS,
): Promise<Joined> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let joinSent = -1;
    const ws = new WebSocket(adapter.url(base, name), CLIENT_OPTIONS);
    const finish = (error: Error | null, id?: string): void => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', onClose);
      if (error || id === undefined) {
        ws.terminate();
        reject(error ?? new Error('no id'));
        return;
      }
      const now = performance.now();
      resolve({ ws, id, connectMs: now - started, frameMs: joinSent < 0 ? null : now - joinSent });
    };
    const timer = setTimeout(
      () => finish(new Error(`no join ack within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (data: Buffer): void => {
      const id = adapter.joined(String(data), name);
      if (id !== undefined) finish(null, id);
    };
    const onClose = (code: number): void => finish(new Error(`closed (${code}) before join ack`));
    ws.on('error', (error) => finish(error));
    ws.on('close', onClose);
    ws.on('message', onMessage);
    ws.on('open', () => {
      const frame = adapter.join(name, room);
      if (frame === null) return;
      joinSent = performance.now();
      ws.send(frame);
    });
  });
}

/** Runs `work` on `concurrency` workers until each returns false. */
async function pool(concurrency: number, work: () => Promise<boolean>): Promise<void> {
  const worker = async (): Promise<void> => {
    while (await work()) {}
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}

function summarize(samples: Float64Array | number[], count = samples.length): Summary {
  const sorted = Float64Array.from(samples.slice(0, count)).sort();
  const at = (q: number): number =>
    sorted[Math.min(count - 1, Math.floor(q * count))] ?? Number.NaN;
  return { count, p50: at(0.5), p99: at(0.99) };
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}

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

interface Endpoint {
  ws: WebSocket;
  /** Frames to the partner, by kind, stamped at send time. */
  sdp: (micros: number) => string;
  candidate: (micros: number) => string;
  sent: number;
}

function endpoint(adapter: Adapter, self: Joined, partnerId: string, sdp: SignalKind): Endpoint {
  const frame = (kind: SignalKind) => stamper(adapter.signal(partnerId, kind, dataTemplate(kind)));
  return { ws: self.ws, sdp: frame(sdp), candidate: frame('candidate'), sent: 0 };
}

const micros = (): number => performance.now() * 1000;

async function signals(command: Extract<ToLoad, { cmd: 'signals' }>) {
  const adapter = ADAPTERS[command.server];
  const pairs: Array<[Endpoint, Endpoint]> = [];
  const opened: WebSocket[] = [];
  let setupError: string | null = null;
  let next = 0;
  await pool(50, async () => {
    if (setupError !== null || next >= command.pairs) return false;
    const i = next++;
    try {
      const a = await connectAndJoin(adapter, command.url, `r${run}a${i}`, `s${i}`);
      opened.push(a.ws);
      const b = await connectAndJoin(adapter, command.url, `r${run}b${i}`, `s${i}`);
      opened.push(b.ws);
      pairs.push([endpoint(adapter, a, b.id, 'offer'), endpoint(adapter, b, a.id, 'answer')]);
    } catch (caught) {
      setupError ??= `pair ${i + 1}: ${describe(caught)}`;
    }
    return true;
  });
  for (const ws of opened) ws.on('error', () => {});
  if (setupError !== null) {
    for (const ws of opened) ws.terminate();
    return failedSignals(setupError);
  }

  const latencies = new Float64Array(MAX_SAMPLES);
  let measuring = false;
  let stopping = false;
  let inFlight = 0;
  let relayed = 0;
  let bytes = 0;
  let other = 0;
  let closed = 0;
  const send = (from: Endpoint): void => {
    const frame = from.sent++ % SDP_EVERY === 0 ? from.sdp : from.candidate;
    from.ws.send(frame(micros()));
    inFlight++;
  };
  for (const [a, b] of pairs) {
    for (const self of [a, b]) {
      self.ws.on('message', (data: Buffer) => {
        const stamp = readStamp(data);
        if (stamp < 0) {
          if (measuring) other++;
          return;
        }
        inFlight--;
        if (measuring) {
          if (relayed < MAX_SAMPLES) latencies[relayed] = (micros() - stamp) / 1000;
          relayed++;
          bytes += data.length;
        }
        // The receiver answers, so each pair keeps `window` signals in flight.
        if (!stopping) send(self);
      });
      self.ws.on('close', () => {
        if (!stopping) closed++;
      });
    }
    for (let w = 0; w < command.window; w++) send(a);
  }

  await sleep(command.warmupMs);
  measuring = true;
  process.send?.({ kind: 'mark' } satisfies FromLoad);
  const start = performance.now();
  await sleep(command.durationMs);
  const measured = relayed;
  const seconds = (performance.now() - start) / 1000;
  stopping = true;
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  while (inFlight > 0 && performance.now() < deadline) await sleep(5);
  measuring = false;
  for (const ws of opened) ws.terminate();
  return {
    kind: 'signaled',
    measured,
    relayed,
    seconds,
    latency: summarize(latencies, Math.min(relayed, MAX_SAMPLES)),
    meanBytes: relayed > 0 ? bytes / relayed : 0,
    other,
    lost: inFlight,
    error: closed > 0 ? `${closed} sockets closed during the run` : null,
  } as const;
}

function failedSignals(error: string): FromLoad {
  const none = { count: 0, p50: Number.NaN, p99: Number.NaN };
  return {
    kind: 'signaled',
    measured: 0,
    relayed: 0,
    seconds: 0,
    latency: none,
    meanBytes: 0,
    other: 0,
    lost: 0,
    error,
  };
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
      return signals(command);
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
