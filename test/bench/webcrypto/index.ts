/**
 * `npm run bench webcrypto [-- --mib 64 --rounds 3]`: what one WebCrypto call costs a
 * Chromium page, by call size — the cost `e2ee` (AES-GCM per sealed batch) and files'
 * digest (SHA-256 per piece) pay on the page's thread. For each size, `--mib` MiB go
 * through, one call at a time: AES-256-GCM `encrypt` and `decrypt`, SHA-256 `digest`, and
 * two floors — `slice()` (a copy into a new ArrayBuffer, which every encrypt and decrypt
 * returns) and `set()` (the same copy into one reused buffer). Printed, never asserted.
 */
import { loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { median } from '../shared/median.js';
import { type CpuByProcess, cpuByProcess, cpuSpent, totalCpu } from '../shared/process-cpu.js';
import { machine, utcMinute } from '../shared/run-info.js';
import { inSecurePage } from '../shared/secure-page.js';
import { textTable } from '../shared/text-table.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [64 * KiB, 256 * KiB, 1024 * KiB];
const OPERATIONS = ['set', 'slice', 'encrypt', 'decrypt', 'digest'] as const;
type Operation = (typeof OPERATIONS)[number];

const HELP = `Usage: npm run bench webcrypto -- [flags]

What a WebCrypto call costs a Chromium page by its size: AES-256-GCM encrypt and decrypt,
SHA-256 digest, against a copy into a new buffer (slice) and into a reused one (set).

  --mib=N      MiB through each operation at each size (default 64)
  --rounds=N   rounds, the median is reported (default 3)
`;

/** Runs `operation` over `total` bytes in calls of `size` in the page: ms the calls took. */
async function timeInPage(page: Page, operation: Operation, size: number, total: number) {
  return page.evaluate(
    async ({ operation, size, total }) => {
      const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
        'encrypt',
        'decrypt',
      ]);
      const iv = new Uint8Array(12);
      const data = crypto.getRandomValues(new Uint8Array(Math.min(size, 64 * 1024)));
      const input = new Uint8Array(size);
      for (let at = 0; at < size; at += data.length) input.set(data.subarray(0, size - at), at);
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, input),
      );
      const reused = new Uint8Array(size);
      const calls = Math.max(1, Math.round(total / size));
      const started = performance.now();
      for (let i = 0; i < calls; i += 1) {
        if (operation === 'set') reused.set(input);
        else if (operation === 'slice') input.slice();
        else if (operation === 'encrypt')
          await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, input);
        else if (operation === 'decrypt')
          await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, sealed);
        else await crypto.subtle.digest('SHA-256', input);
      }
      return { ms: performance.now() - started, bytes: calls * size };
    },
    { operation, size, total },
  );
}

/** CPU seconds every Chromium process spent between two readings (NaN where /proc cannot tell). */
function chromiumCpu(before: CpuByProcess | undefined, after: CpuByProcess | undefined): number {
  if (!before || !after) return Number.NaN;
  const spent = cpuSpent(before, after);
  spent.delete('node');
  return totalCpu(spent);
}

function parse(argv: readonly string[]): { mib: number; rounds: number } | undefined {
  const options = { mib: 64, rounds: 3 };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--help') return undefined;
    const [flag, inline] = arg.split('=', 2);
    const value = Number(inline ?? argv[++i]);
    if (flag === '--mib' && Number.isInteger(value) && value >= 1 && value <= 1024)
      options.mib = value;
    else if (flag === '--rounds' && Number.isInteger(value) && value >= 1 && value <= 20)
      options.rounds = value;
    else throw new Error(`bad flag ${arg}: --mib takes 1–1024, --rounds 1–20 (see --help)`);
  }
  return options;
}

/** The benchmark's entry (see the file's comment). */
export async function runWebcryptoBenchmark(argv: readonly string[]): Promise<number> {
  const options = parse(argv);
  if (!options) {
    process.stdout.write(HELP);
    return 0;
  }
  const total = options.mib * MiB;
  const loadBefore = loadavg()[0] ?? Number.NaN;
  await inSecurePage(async (page, browser) => {
    const runs = new Map<string, { ms: number[]; cpu: number[] }>();
    for (let round = 0; round < options.rounds; round += 1) {
      for (const size of SIZES) {
        for (const operation of OPERATIONS) {
          const cpuBefore = cpuByProcess();
          const { ms, bytes } = await timeInPage(page, operation, size, total);
          const cpu = chromiumCpu(cpuBefore, cpuByProcess());
          const key = `${size} ${operation}`;
          const run = runs.get(key) ?? { ms: [], cpu: [] };
          run.ms.push((ms / bytes) * MiB);
          run.cpu.push(((cpu * 1000) / bytes) * MiB);
          runs.set(key, run);
        }
      }
    }
    const loadAfter = loadavg()[0] ?? Number.NaN;
    const rows = SIZES.flatMap((size) =>
      OPERATIONS.map((operation) => {
        const run = runs.get(`${size} ${operation}`) ?? { ms: [], cpu: [] };
        const perMiB = median(run.ms);
        return [
          `${size / KiB} KiB`,
          operation,
          perMiB.toFixed(2),
          (1000 / perMiB).toFixed(0),
          median(run.cpu).toFixed(2),
        ];
      }),
    );
    process.stdout.write(
      [
        `Peerlane WebCrypto benchmark, ${utcMinute()}`,
        `${machine()}; Chromium ${browser.version()} headless; load average ${loadBefore.toFixed(2)} before / ${loadAfter.toFixed(2)} after`,
        `${options.mib} MiB through each operation in calls of each size, one call at a time; median of ${options.rounds} round(s)`,
        "page ms/MiB: the page's time in the calls (WebCrypto runs them on the calling thread here); CPU ms/MiB: every Chromium process",
        'set: a copy into one reused buffer; slice: the same copy into a new ArrayBuffer (what every encrypt and decrypt returns)',
        '',
        textTable([['call size', 'operation', 'page ms/MiB', 'MiB/s', 'CPU ms/MiB'], ...rows]),
        '',
      ].join('\n'),
    );
  });
  return 0;
}
