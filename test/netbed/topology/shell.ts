/**
 * Runs the bed's commands (`ip`, `iptables`, `sysctl`): argument lists, never a shell,
 * each bounded in time, failing with the command line and its stderr.
 */
import { execFile, execFileSync } from 'node:child_process';

/** How long one `ip`/`iptables` command may take, in ms. */
const COMMAND_TIMEOUT_MS = 10_000;

/** Runs `command args…`; resolves with stdout, rejects with the command and its stderr. */
export function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: COMMAND_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) {
        const detail = String(stderr).trim() || error.message;
        reject(new Error(`${command} ${args.join(' ')}: ${detail}`, { cause: error }));
      } else resolve(String(stdout));
    });
  });
}

/** The same, synchronously: for teardown in an `exit` handler, where nothing async runs. */
export function runSync(command: string, args: readonly string[]): string {
  return execFileSync(command, args, {
    timeout: COMMAND_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}

/** `ip netns exec ns command args…`. */
export function inNamespace(ns: string, command: string, args: readonly string[]): Promise<string> {
  return run('ip', ['netns', 'exec', ns, command, ...args]);
}
