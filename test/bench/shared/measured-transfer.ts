/**
 * One timed transfer of a browser benchmark: its throughput, the CPU every process used
 * meanwhile (`process-cpu.ts`), and, when asked, both pages' profiles (`page-profile.ts`).
 */
import {
  type CpuProfile,
  type ProfiledPage,
  type ProfiledRun,
  startProfile,
} from './page-profile.js';
import { cpuByProcess, cpuSpent } from './process-cpu.js';

const MiB = 1024 * 1024;

/** What {@link measureTransfer} measured: what a `--profile` report reads. */
export type MeasuredTransfer = ProfiledRun;

/**
 * Times `run`, a transfer of `bytes` that resolves with its start and end (page clock),
 * reading CPU by process around it and profiling the pages of `profiled` when given.
 */
export async function measureTransfer(
  bytes: number,
  run: () => Promise<{ startedAt: number; finishedAt: number }>,
  profiled?: { sender: ProfiledPage; receiver: ProfiledPage },
): Promise<MeasuredTransfer> {
  const stops =
    profiled &&
    (await Promise.all([startProfile(profiled.sender), startProfile(profiled.receiver)]));
  const cpuBefore = cpuByProcess();
  const { startedAt, finishedAt } = await run();
  const cpuAfter = cpuByProcess();
  const profiles = stops && (await Promise.all(stops.map((stop) => stop())));
  return {
    mibps: bytes / MiB / ((finishedAt - startedAt) / 1000),
    cpu: cpuBefore && cpuAfter ? cpuSpent(cpuBefore, cpuAfter) : undefined,
    profiles: profiles && {
      sender: profiles[0] as CpuProfile,
      receiver: profiles[1] as CpuProfile,
    },
  };
}
