/**
 * Waiting for the machine to go quiet between two measured runs: what one run leaves
 * behind (a browser context closing, encoders and decoders torn down, garbage collected)
 * must not land on the next one, which would always be the same row in a fixed order.
 */
import { readFileSync } from 'node:fs';

/** Busy and total jiffies of all CPUs so far (/proc/stat's first line). */
function cpuJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** What {@link untilQuiet} saw. */
export interface Settled {
  /** Milliseconds waited. */
  waitedMs: number;
  /** Whether a quiet window came before the deadline. */
  quiet: boolean;
}

/**
 * Resolves once the CPUs, all together, were at most `maxBusy` busy (0–1; default 0.15)
 * over one `windowMs` window (default 500), or after `maxMs` (default 15 s) if they never
 * were. Where /proc cannot be read it resolves at once, as not quiet.
 */
export async function untilQuiet({
  maxBusy = 0.15,
  windowMs = 500,
  maxMs = 15_000,
} = {}): Promise<Settled> {
  const started = performance.now();
  const waitedMs = () => Math.round(performance.now() - started);
  let before: ReturnType<typeof cpuJiffies>;
  try {
    before = cpuJiffies();
  } catch {
    return { waitedMs: 0, quiet: false };
  }
  while (performance.now() - started < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const now = cpuJiffies();
    const total = now.total - before.total;
    if (total > 0 && (now.busy - before.busy) / total <= maxBusy) {
      return { waitedMs: waitedMs(), quiet: true };
    }
    before = now;
  }
  return { waitedMs: waitedMs(), quiet: false };
}
