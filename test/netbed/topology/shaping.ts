/**
 * A constrained access link on the bed: each router's two egresses (`wan`: its client's
 * upload; `lan`: its download) get a token bucket (`tc qdisc … tbf`) at `kbit`, whose queue
 * holds at most `queueMs` of traffic (a router's buffer: what waits longer is dropped).
 * Only inside the routers' namespaces.
 */
import { inNamespace } from './shell.js';

/** A link's shape. */
export interface LinkShape {
  /** The rate of each direction, kbit/s. */
  kbit: number;
  /** The longest a packet may wait in the router's queue, ms. @default 200 */
  queueMs?: number;
}

/** Burst of the bucket: a few full packets, so the rate holds at small time scales. */
const BURST_BYTES = 4 * 1514;

/** Shapes (or, with `undefined`, unshapes) both egresses of `router`. */
export async function shapeRouter(router: string, shape: LinkShape | undefined): Promise<void> {
  for (const dev of ['wan', 'lan']) {
    if (!shape) {
      // No qdisc of ours there: nothing to delete.
      await inNamespace(router, 'tc', ['qdisc', 'del', 'dev', dev, 'root']).catch(() => {});
      continue;
    }
    await inNamespace(router, 'tc', [
      'qdisc',
      'replace',
      'dev',
      dev,
      'root',
      'tbf',
      'rate',
      `${shape.kbit}kbit`,
      'burst',
      String(BURST_BYTES),
      'latency',
      `${shape.queueMs ?? 200}ms`,
    ]);
  }
}
