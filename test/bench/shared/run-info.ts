/**
 * What a benchmark's header says about the run, so a pasted table tells where and on
 * which code it was measured.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, release, uptime } from 'node:os';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `2026-11-21 07:19 UTC`. */
export function utcMinute(date = new Date()): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `node v20.20.2, AMD EPYC × 2, Linux 6.1.0`: the runtime, CPU model, cores and kernel. */
export function machine(): string {
  let cpu: string | undefined;
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
  } catch {}
  return `node ${process.version}, ${cpu ?? 'unknown CPU'} × ${availableParallelism()}, Linux ${release()}`;
}

/** The version of an installed npm package, or `?`. */
export function packageVersion(name: string): string {
  try {
    const manifest = new URL(`../../../node_modules/${name}/package.json`, import.meta.url);
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : '?';
  } catch {
    return '?';
  }
}

/** `Peerlane from this checkout, git abc1234 + uncommitted changes in signaling/`. */
export function thisPeerlane(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'signaling') !== '';
    return `Peerlane from this checkout, git ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes in signaling/' : ''}`;
  } catch {
    return 'Peerlane from this checkout';
  }
}

/** `uptime`'s line with the load averages, as the README quotes them. */
export function loadLine(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `up ${Math.round(uptime() / 60)} min`;
  }
}

/** The version of Debian's Chromium the browser benchmarks drive; `?` when unknown. */
export function chromiumVersion(): string {
  try {
    const text = execFileSync('/usr/bin/chromium', ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return /\d+(\.\d+)+/.exec(text)?.[0] ?? '?';
  } catch {
    return '?';
  }
}
