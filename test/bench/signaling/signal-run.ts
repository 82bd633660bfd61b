/**
 * The signal phase of the load generator: pairs of sockets send each other stamped
 * signals through the server, either closed loop (each pair keeps `window` in flight and
 * every received signal is answered) or open loop at a fixed rate.
 */
import type { WebSocket } from 'ws';
import { ADAPTERS, type Adapter } from './adapters.js';
import { connectAndJoin, describe, type Joined, pool, sleep, summarize } from './clients.js';
import type { FromLoad, ToLoad } from './ipc.js';
import { dataTemplate, readStamp, type SignalKind, stamper } from './payloads.js';

const DRAIN_TIMEOUT_MS = 10_000;
/** Latency samples kept per run (8 bytes each); later ones are counted, not kept. */
const MAX_SAMPLES = 4_000_000;
/** One signal in this many is a session description; the rest are ICE candidates. */
const SDP_EVERY = 5;

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

/**
 * Runs one signal phase, closed loop (`rate` null) or at a fixed rate; `run` keeps socket
 * names unique. Sends `mark` when measuring starts.
 */
export async function signals(
  command: Extract<ToLoad, { cmd: 'signals' }>,
  run: number,
): Promise<FromLoad> {
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
  const paced = command.rate;
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
        // Closed loop: the receiver answers, so each pair keeps `window` signals in flight.
        if (!stopping && paced === null) send(self);
      });
      self.ws.on('close', () => {
        if (!stopping) closed++;
      });
    }
    if (paced === null) for (let w = 0; w < command.window; w++) send(a);
  }
  const pacer = paced === null ? undefined : pace(pairs.flat(), paced, send, () => stopping);

  await sleep(command.warmupMs);
  measuring = true;
  process.send?.({ kind: 'mark' } satisfies FromLoad);
  const start = performance.now();
  await sleep(command.durationMs);
  const measured = relayed;
  const seconds = (performance.now() - start) / 1000;
  stopping = true;
  clearInterval(pacer);
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

/**
 * Open loop: sends `rate` signals per second in all, round-robin over the endpoints, in
 * small batches every 2 ms. After a stall it does not catch up by more than 20 ms worth.
 */
function pace(
  endpoints: Endpoint[],
  rate: number,
  send: (from: Endpoint) => void,
  stopping: () => boolean,
): NodeJS.Timeout {
  let cursor = 0;
  let owed = 0;
  let last = performance.now();
  return setInterval(() => {
    if (stopping()) return;
    const now = performance.now();
    owed = Math.min(owed + ((now - last) / 1000) * rate, rate / 50);
    last = now;
    for (; owed >= 1; owed--) {
      const from = endpoints[cursor];
      cursor = (cursor + 1) % endpoints.length;
      if (from) send(from);
    }
  }, 2);
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
