/** Load-generator helpers: a socket that joins, a worker pool, percentiles. */
import { WebSocket } from 'ws';
import type { Adapter } from './adapters.js';
import type { Summary } from './kinds.js';

const CLIENT_OPTIONS = { perMessageDeflate: false, skipUTF8Validation: true };
const JOIN_TIMEOUT_MS = 30_000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Joined {
  ws: WebSocket;
  id: string;
  /** Socket opening started → join acknowledged, in ms. */
  connectMs: number;
  /** Join frame sent → join acknowledged, in ms; null when opening is the join. */
  frameMs: number | null;
}

/** Opens a socket and joins; rejects on error, early close, or after `timeoutMs`. */
export function connectAndJoin(
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
export async function pool(concurrency: number, work: () => Promise<boolean>): Promise<void> {
  const worker = async (): Promise<void> => {
    while (await work()) {}
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}

export function summarize(samples: Float64Array | number[], count = samples.length): Summary {
  const sorted = Float64Array.from(samples.slice(0, count)).sort();
  const at = (q: number): number =>
    sorted[Math.min(count - 1, Math.floor(q * count))] ?? Number.NaN;
  return { count, p50: at(0.5), p99: at(0.99) };
}

export function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}
