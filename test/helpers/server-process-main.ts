/**
 * A signaling server in a child process, for tests that need to watch it from outside
 * (did it crash? how much heap does it hold?) or kill it. Options arrive as JSON in
 * PEERLANE_TEST_OPTIONS; the URL goes to the parent over IPC; a 'status' message answers
 * with the heap after a GC, the counts, readiness and the metrics text.
 */
import { createSignalingServer } from '../../signaling/server.js';

const server = await createSignalingServer({
  port: 0,
  ...JSON.parse(process.env.PEERLANE_TEST_OPTIONS ?? '{}'),
});
const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', async (message) => {
  if (message === 'status') {
    gc?.();
    process.send?.({
      heapUsed: process.memoryUsage().heapUsed,
      external: process.memoryUsage().external + process.memoryUsage().arrayBuffers,
      stats: server.stats(),
      ready: server.ready(),
      metrics: await server.metrics(),
    });
  } else if (message === 'close') {
    await server.close();
    process.exit(0);
  }
});
process.on('disconnect', () => void server.close().then(() => process.exit(0)));
process.send?.({ url: server.url, nodeId: server.nodeId });
