/**
 * The speed probe, alone in a process pinned to the servers' core and idle between
 * probes: its own state never changes, so how long its fixed work takes says how fast
 * the machine is at that moment (see `speed-probe.ts`). Answers `probe`, exits on `exit`.
 */
import type { FromProbe, ToProbe } from './ipc.js';
import { speedProbe } from './speed-probe.js';

process.on('message', (message: ToProbe) => {
  if (message.cmd === 'exit') process.exit(0);
  process.send?.({ kind: 'probe-done', ms: speedProbe() } satisfies FromProbe);
});
process.on('disconnect', () => process.exit(0));
