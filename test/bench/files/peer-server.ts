/**
 * PeerJS's PeerServer in a process of its own for the file benchmark: it keeps timers
 * that would hold the benchmark's process open. Sends its port over IPC; exits when the
 * parent disconnects.
 */
import type { Server } from 'node:http';
import { PeerServer } from 'peer';

const app = PeerServer({ port: 0, host: '127.0.0.1', path: '/' }, (server: Server) => {
  const address = server.address();
  if (address === null || typeof address === 'string') process.exit(1);
  process.send?.({ port: address.port });
});
app.on('error', () => {});
process.on('disconnect', () => process.exit(0));
