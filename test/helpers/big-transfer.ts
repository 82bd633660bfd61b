import { fork } from 'node:child_process';
import { join } from 'node:path';

/** What `big-transfer-main.ts` measured. Memory figures are growth over the start, in bytes. */
export interface BigTransferReport {
  bytes: number;
  sha256: string;
  seconds: number;
  /** Largest heap growth, sampled after a full GC every 500 ms. */
  peakHeapGrowth: number;
  /** Largest ArrayBuffer growth (chunks in flight), sampled the same way. */
  peakArrayBufferGrowth: number;
  /** Largest heap growth every 50 ms without forcing a GC (garbage included). */
  peakRawHeapGrowth: number;
  /** Heap growth after the transfer, after a full GC. */
  heapGrowthAfter: number;
}

/**
 * Sends `size` bytes of the test pattern from one Node peer to another in a child process
 * with `--expose-gc` (both peers in it, sender and receiver). Rejects if the child fails or
 * takes longer than `timeoutMs`.
 */
export function runBigTransfer(size: number, timeoutMs: number): Promise<BigTransferReport> {
  const child = fork(join(import.meta.dirname, 'big-transfer-main.ts'), {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, PEERLANE_TEST_SIZE: String(size) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the transfer took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', (report) => {
      clearTimeout(timer);
      resolve(report as BigTransferReport);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the transfer process exited with ${code} before reporting`));
    });
  });
}
