/**
 * Signals driven between pairs of joined sockets, shared by the load generators of the
 * signaling and cluster benchmarks: closed loop (each pair keeps `window` signals in
 * flight and every received signal is answered) or open loop at a fixed rate. Latency is
 * read from the send time each signal carries (see `../signaling/payloads.ts`).
 */
import type { WebSocket } from 'ws';
import type { Adapter } from '../signaling/adapters.js';
import { sleep, summarize } from '../signaling/clients.js';
import type { Summary } from '../signaling/kinds.js';
import { dataTemplate, readStamp, type SignalKind, stamper } from '../signaling/payloads.js';

const DRAIN_TIMEOUT_MS = 10_000;
/** Latency samples kept per run (8 bytes each); later ones are counted, not kept. */
const MAX_SAMPLES = 4_000_000;
/** One signal in this many is a session description; the rest are ICE candidates. */
const SDP_EVERY = 5;

/** One side of a pair: its socket, and its frames to the partner, stamped at send time. */
export interface Endpoint {
  ws: WebSocket;
  sdp: (micros: number) => string;
  candidate: (micros: number) => string;
  sent: number;
}

/** The endpoint of socket `ws`, sending `sdp` descriptions and candidates to `partnerId`. */
export function endpoint(
  adapter: Adapter,
  ws: WebSocket,
  partnerId: string,
  sdp: SignalKind,
): Endpoint {
  const frame = (kind: SignalKind) => stamper(adapter.signal(partnerId, kind, dataTemplate(kind)));
  return { ws, sdp: frame(sdp), candidate: frame('candidate'), sent: 0 };
}

export interface DriveOptions {
  /** Closed loop (null): each pair keeps `window` signals in flight. Else signals/s in all. */
  rate: number | null;
  window: number;
  warmupMs: number;
  durationMs: number;
}

export interface DriveResult {
  /** Signals received between the mark and the end of the measured window. */
  measured: number;
  /** Signals received between the mark and the moment all in-flight ones had arrived. */
  relayed: number;
  seconds: number;
  latency: Summary;
  meanBytes: number;
  /** Frames that were not signals (errors, presence) received after the mark. */
  other: number;
  lost: number;
  error: string | null;
}

const micros = (): number => performance.now() * 1000;

/**
 * Drives signals between `pairs` for `warmupMs`, calls `onMark` and measures for
 * `durationMs`, then waits (at most 10 s) for the signals in flight. Leaves the sockets
 * open; the caller closes them.
 */
export async function driveSignals(
  pairs: ReadonlyArray<readonly [Endpoint, Endpoint]>,
  options: DriveOptions,
  onMark: () => void,
): Promise<DriveResult> {
  const latencies = new Float64Array(MAX_SAMPLES);
  let measuring = false;
  let stopping = false;
  let inFlight = 0;
  let relayed = 0;
  let bytes = 0;
  let other = 0;
  let closed = 0;
  const paced = options.rate;
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
    if (paced === null) for (let w = 0; w < options.window; w++) send(a);
  }
  const pacer = paced === null ? undefined : pace(pairs.flat(), paced, send, () => stopping);

  await sleep(options.warmupMs);
  measuring = true;
  onMark();
  const start = performance.now();
  await sleep(options.durationMs);
  const measured = relayed;
  const seconds = (performance.now() - start) / 1000;
  stopping = true;
  clearInterval(pacer);
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  while (inFlight > 0 && performance.now() < deadline) await sleep(5);
  measuring = false;
  return {
    measured,
    relayed,
    seconds,
    latency: summarize(latencies, Math.min(relayed, MAX_SAMPLES)),
    meanBytes: relayed > 0 ? bytes / relayed : 0,
    other,
    lost: inFlight,
    error: closed > 0 ? `${closed} sockets closed during the run` : null,
  };
}

/** The result of a run that could not start, and why. */
export function failedDrive(error: string): DriveResult {
  const none = { count: 0, p50: Number.NaN, p99: Number.NaN };
  return {
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
