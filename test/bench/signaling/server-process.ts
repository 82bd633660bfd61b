/**
 * One server under test, alone in its process so its CPU time and RSS can be read from
 * /proc. Run with `--expose-gc`; argv[2] names the server. Speaks over the IPC channel:
 * sends `ready` with its URL, answers `gc` (for idle-memory readings), exits on `stop`.
 */
import { pathToFileURL } from 'node:url';
import { PeerServer } from 'peer';
import { BENCH_LIMITS } from '../shared/peerlane-limits.js';
import { createBareRelay } from './bare-relay.js';
import type { FromServer, ToServer } from './ipc.js';
import type { ServerKind } from './kinds.js';

const HOST = '127.0.0.1';

type PeerlaneModule = typeof import('../../../signaling/server.js');
/** Which Peerlane to run: this checkout's, unless argv[3] names another `server.ts`. */
const peerlaneModule = process.argv[3]
  ? pathToFileURL(process.argv[3]).href
  : new URL('../../../signaling/server.ts', import.meta.url).href;

async function start(kind: ServerKind): Promise<string> {
  switch (kind) {
    case 'peerlane': {
      // Loaded only here, so the other servers run even while signaling/ is mid-edit.
      const { createSignalingServer } = (await import(peerlaneModule)) as PeerlaneModule;
      const server = await createSignalingServer({
        port: 0,
        host: HOST,
        ...BENCH_LIMITS,
      });
      return server.url;
    }
    case 'bare':
      return (await createBareRelay({ port: 0, host: HOST })).url;
    case 'peerserver':
      return new Promise((resolve, reject) => {
        // Clients connect to <path>peerjs?key=peerjs&id=…&token=…
        const app = PeerServer(
          { port: 0, host: HOST, path: '/', concurrent_limit: 1e6, alive_timeout: 3_600_000 },
          (server) => {
            const address = server.address();
            if (address === null || typeof address === 'string') {
              reject(new Error('PeerServer is not listening on TCP'));
              return;
            }
            resolve(`ws://${HOST}:${address.port}/peerjs`);
          },
        );
        app.on('error', () => {});
      });
  }
}

function send(message: FromServer): void {
  process.send?.(message);
}

function isServerKind(value: string | undefined): value is ServerKind {
  return value === 'peerlane' || value === 'bare' || value === 'peerserver';
}

async function main(): Promise<void> {
  const kind = process.argv[2];
  if (!isServerKind(kind)) throw new Error(`unknown server "${kind}"`);
  const gc = globalThis.gc;
  if (!gc) throw new Error('run with --expose-gc');
  process.on('message', (message: ToServer) => {
    if (message.cmd === 'stop') process.exit(0);
    gc();
    setTimeout(() => {
      gc();
      send({ kind: 'gc-done', heapUsed: process.memoryUsage().heapUsed });
    }, message.settleMs);
  });
  process.on('disconnect', () => process.exit(0));
  // A write before serving, as a server that logs at start makes (the `peerlane` process
  // writes its `listening` line). V8 fixes the size of Node's stream state objects once
  // seven have been made, from what they held by then: in a process whose first streams
  // (tsx's, then a burst of accepted sockets) were all made before any was written to, each
  // socket's two stream states keep their write callback out of line, 64–80 B more per
  // socket (heap snapshots of 2,000 idle sockets: README, "Idle sockets, a fourth pass").
  // Which server it struck depended on the timing of its first accepts.
  process.stderr.write('');
  send({ kind: 'ready', url: await start(kind) });
}

main().catch((error: unknown) => {
  send({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});
