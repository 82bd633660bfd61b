/**
 * The signal phase of the load generator: opens pairs of sockets in rooms of two on one
 * server, then drives stamped signals between them (see `../shared/signal-loop.ts`).
 */
import type { WebSocket } from 'ws';
import { driveSignals, type Endpoint, endpoint, failedDrive } from '../shared/signal-loop.js';
import { ADAPTERS } from './adapters.js';
import { connectAndJoin, describe, pool } from './clients.js';
import type { FromLoad, ToLoad } from './ipc.js';

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
      pairs.push([endpoint(adapter, a.ws, b.id, 'offer'), endpoint(adapter, b.ws, a.id, 'answer')]);
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
  const result = await driveSignals(pairs, command, () => {
    process.send?.({ kind: 'mark' } satisfies FromLoad);
  });
  for (const ws of opened) ws.terminate();
  return { kind: 'signaled', ...result };
}
