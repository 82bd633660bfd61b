import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from './protocol.js';

/** What the metrics read on each scrape. */
export interface MetricSources {
  connections(): number;
  rooms(): number;
  peers(): number;
  /** 1 when the room store is reachable, 0 when not; undefined without Redis. */
  storeUp(): number | undefined;
}

/**
 * The server's Prometheus metrics, in a registry of its own (several servers in one
 * process do not mix). Every series carries the node id as `node`.
 */
export class Metrics {
  readonly registry = new Registry();
  // Frames are the hot path: count them in plain objects and hand the totals to
  // prom-client only when scraped (its inc() hashes labels and checks exemplars each call).
  readonly #framesIn: Record<string, number> = {};
  readonly #framesOut: Record<string, number> = {};
  readonly #errors: Counter<'code'>;
  /** Joins by result, counted like frames: a join is on the path the welcome waits for. */
  readonly #joins: Record<string, number> = {};
  readonly #joinSeconds: Histogram;
  /** Bytes carried by the WebSocket relay, by `kind`: `media` (audio/video) or `data`. */
  readonly relayBytes: Counter<'kind'>;

  constructor(nodeId: string, sources: MetricSources) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: nodeId });
    collectDefaultMetrics({ register: this.registry, prefix: 'peerlane_process_' });
    new Gauge({
      name: 'peerlane_connections',
      help: 'Open WebSocket connections on this node',
      registers,
      collect() {
        this.set(sources.connections());
      },
    });
    new Gauge({
      name: 'peerlane_rooms',
      help: 'Rooms with at least one peer on this node',
      registers,
      collect() {
        this.set(sources.rooms());
      },
    });
    new Gauge({
      name: 'peerlane_peers',
      help: 'Peers on this node, including ones within their resume grace period',
      registers,
      collect() {
        this.set(sources.peers());
      },
    });
    new Gauge({
      name: 'peerlane_store_up',
      help: 'Whether the shared room store (Redis) is reachable: 1 or 0; absent in memory',
      registers,
      collect() {
        const up = sources.storeUp();
        if (up === undefined) this.reset();
        else this.set(up);
      },
    });
    const framesIn = this.#framesIn;
    const framesOut = this.#framesOut;
    new Counter({
      name: 'peerlane_frames_in_total',
      help: 'Frames received, by type (invalid ones as "invalid")',
      labelNames: ['type'],
      registers,
      collect() {
        copyCounts(this, framesIn);
      },
    });
    new Counter({
      name: 'peerlane_frames_out_total',
      help: 'Frames sent, by type',
      labelNames: ['type'],
      registers,
      collect() {
        copyCounts(this, framesOut);
      },
    });
    this.#errors = new Counter({
      name: 'peerlane_errors_total',
      help: 'Error frames sent, by code',
      labelNames: ['code'],
      registers,
    });
    const joins = this.#joins;
    new Counter({
      name: 'peerlane_joins_total',
      help: 'Joins, by result: ok, resumed, or the error code',
      labelNames: ['result'],
      registers,
      collect() {
        copyCounts(this, joins);
      },
    });
    this.#joinSeconds = new Histogram({
      name: 'peerlane_join_duration_seconds',
      help: 'Time from a join frame to its welcome',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.relayBytes = new Counter({
      name: 'peerlane_relay_bytes_total',
      help: 'Bytes of peer data carried by the WebSocket relay, by kind: media (audio/video) or data (messages, files)',
      labelNames: ['kind'],
      registers,
    });
  }

  frameIn(type: string): void {
    this.#framesIn[type] = (this.#framesIn[type] ?? 0) + 1;
  }

  /** Counts an outgoing frame by the type at the start of its JSON (`{"type":"…"`). */
  frameOut(text: string): void {
    const type = text.startsWith('{"type":"') ? text.slice(9, text.indexOf('"', 9)) : 'other';
    this.#framesOut[type] = (this.#framesOut[type] ?? 0) + 1;
    if (type === 'error') {
      const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] as ErrorCode | undefined;
      this.#errors.labels(code ?? 'unknown').inc();
    }
  }

  joined(result: 'ok' | 'resumed' | ErrorCode, seconds?: number): void {
    this.#joins[result] = (this.#joins[result] ?? 0) + 1;
    if (seconds !== undefined) this.#joinSeconds.observe(seconds);
  }
}

function copyCounts<L extends string>(counter: Counter<L>, counts: Record<string, number>): void {
  counter.reset();
  for (const [type, count] of Object.entries(counts)) counter.labels(type).inc(count);
}
