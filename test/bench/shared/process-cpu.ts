/**
 * CPU time by process, from /proc: every Chromium process by its role (`--type=` on its
 * command line: the browser, each renderer, the GPU and network services) and this one.
 * The browser benchmarks use it to say where a transfer's CPU goes, not only how much.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ on every Linux the benchmarks run on. */
const TICKS_PER_SECOND = 100;

/** CPU seconds by process label (`browser`, `renderer 1234`, `gpu`, `network`, …, `node`). */
export type CpuByProcess = Map<string, number>;

/** The role of a Chromium process, from its command line. */
function role(pid: string): string | undefined {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
  // Chromium rewrites its process title: the arguments are joined by spaces, not NULs.
  const args = cmdline.split(/[\0 ]/);
  const type = args.find((a) => a.startsWith('--type='))?.slice('--type='.length);
  if (!type) return 'browser';
  if (type === 'renderer') return `renderer ${pid}`;
  if (type === 'gpu-process') return 'gpu';
  const sub = args.find((a) => a.startsWith('--utility-sub-type='))?.split('=')[1] ?? '';
  if (sub.includes('Network')) return 'network';
  if (sub.includes('Audio')) return 'audio';
  return type === 'utility' ? `utility ${sub.split('.')[0] ?? ''}`.trim() : type;
}

/**
 * CPU seconds used so far by every Chromium process (by role) and by this process
 * (`node`); undefined where /proc cannot tell.
 */
export function cpuByProcess(): CpuByProcess | undefined {
  const out: CpuByProcess = new Map();
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!comm.startsWith('chrom')) continue;
      const label = role(pid);
      if (!label) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
      out.set(label, (out.get(label) ?? 0) + seconds);
    }
  } catch {
    return undefined;
  }
  const own = process.cpuUsage();
  out.set('node', (own.user + own.system) / 1e6);
  return out;
}

/** What each process used between two readings (processes that started meanwhile count from 0). */
export function cpuSpent(before: CpuByProcess, after: CpuByProcess): CpuByProcess {
  const out: CpuByProcess = new Map();
  for (const [label, seconds] of after) {
    const spent = seconds - (before.get(label) ?? 0);
    if (spent > 0) out.set(label, spent);
  }
  return out;
}

/** The sum of `cpu`'s seconds. */
export function totalCpu(cpu: CpuByProcess): number {
  let sum = 0;
  for (const seconds of cpu.values()) sum += seconds;
  return sum;
}
