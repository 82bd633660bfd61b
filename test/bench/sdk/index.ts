/**
 * `npm run bench sdk`: how long two Chromium pages take from join to an open data channel
 * through the SDK, against the same handshake done with a bare RTCPeerConnection through
 * the same signaling server, in the same run. What is timed is defined in
 * `join-sample.ts`. Numbers are printed, never asserted; the target is SDK ≤ 2× raw.
 */
import { availableParallelism, loadavg } from 'node:os';
import { createSignalingServer } from '../../../signaling/server.js';
import { ensureSdkBundle, launchChromium, servePages } from '../../e2e/harness/index.js';
import { packageVersion } from '../shared/run-info.js';
import { type Contender, joinSample } from './join-sample.js';

const CONTENDERS: readonly Contender[] = ['raw', 'sdk'];
const LABELS: Record<Contender, string> = {
  raw: 'raw RTCPeerConnection',
  sdk: 'Peerlane SDK',
};
const TARGET_RATIO = 2;

interface Options {
  runs: number;
  warmup: number;
  settleMs: number;
  contenders: Contender[];
}

const HELP = `Usage: npm run bench sdk -- [flags]

Join → first data channel open for two Chromium pages, Peerlane SDK vs a bare
RTCPeerConnection, through one Peerlane signaling server on loopback. Runs alternate
between contenders (ABBA order) on fresh pages; the median of each is compared.

  --runs=N          measured runs per contender (default 20)
  --warmup=N        unmeasured runs per contender first (default 2)
  --settle=MS       pause after opening the pages, before A joins (default 200)
  --contenders=a,b  any of ${CONTENDERS.join(', ')} (default both)
`;

function parseArgs(argv: readonly string[]): Options | null {
  const options: Options = { runs: 20, warmup: 2, settleMs: 200, contenders: [...CONTENDERS] };
  for (const arg of argv) {
    const [flag = '', value = ''] = arg.split('=', 2);
    const int = (min: number, max: number): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) {
        throw new Error(`${flag} needs an integer from ${min} to ${max} (got "${value}")`);
      }
      return n;
    };
    if (flag === '--help' || flag === '-h') return null;
    else if (flag === '--runs') options.runs = int(1, 1000);
    else if (flag === '--warmup') options.warmup = int(0, 100);
    else if (flag === '--settle') options.settleMs = int(0, 10_000);
    else if (flag === '--contenders') {
      options.contenders = value.split(',').map((name) => {
        const contender = CONTENDERS.find((c) => c === name);
        if (!contender) throw new Error(`--contenders: unknown contender "${name}"`);
        return contender;
      });
    } else throw new Error(`unknown flag ${arg} (see --help)`);
  }
  return options;
}

function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const a = sorted[low] ?? Number.NaN;
  const b = sorted[high] ?? Number.NaN;
  return a + (b - a) * (position - low);
}

const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

/** Runs the benchmark with command-line `argv`; resolves with the exit code. */
export async function runSdkBenchmark(argv: readonly string[]): Promise<number> {
  let options: Options | null;
  try {
    options = parseArgs(argv);
  } catch (error) {
    log(`bench sdk: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(HELP);
    return 0;
  }
  const { contenders, runs, warmup } = options;
  const loadBefore = loadavg()[0] ?? 0;
  if (contenders.includes('sdk')) {
    log('building the SDK browser bundle (if sdk/ changed)…');
    await ensureSdkBundle();
  }
  const [browser, pages, signaling] = await Promise.all([
    launchChromium(),
    servePages(),
    // Every page joins from 127.0.0.1: lift the per-IP join rate (default 5/s) off the clock.
    createSignalingServer({
      port: 0,
      shutdownTimeoutMs: 1000,
      joinRateLimit: 1000,
      joinRateBurst: 1000,
    }),
  ]);
  const samples: Record<Contender, number[]> = { raw: [], sdk: [] };
  const failures: Record<Contender, number> = { raw: 0, sdk: 0 };
  try {
    const context = { browser, pagesUrl: pages.url, signalingUrl: signaling.url };
    let room = 0;
    for (let run = 0; run < warmup + runs; run++) {
      // ABBA: alternate which contender goes first, so drift hits both alike.
      const order = run % 2 === 0 ? contenders : [...contenders].reverse();
      const took: string[] = [];
      for (const contender of order) {
        const sample = { ...context, room: `bench-${++room}`, settleMs: options.settleMs };
        try {
          const ms = await joinSample(contender, sample);
          if (run >= warmup) samples[contender].push(ms);
          took.push(`${contender} ${ms.toFixed(1)} ms`);
        } catch (error) {
          // A lost sample is reported, not retried: retrying would hide slow failures.
          failures[contender]++;
          took.push(
            `${contender} FAILED (${error instanceof Error ? error.message : String(error)})`,
          );
        }
      }
      log(`run ${run + 1}/${warmup + runs}${run < warmup ? ' (warm-up)' : ''}: ${took.join(', ')}`);
    }
    process.stdout.write(
      report(samples, failures, options, {
        chromium: browser.version(),
        loadBefore,
        loadAfter: loadavg()[0] ?? 0,
      }),
    );
    return contenders.some((c) => samples[c].length === 0) ? 1 : 0;
  } finally {
    await browser.close();
    await pages.close();
    await signaling.close();
  }
}

/** The plain-text result: how it was measured, one row per contender, the ratio. */
function report(
  samples: Record<Contender, number[]>,
  failures: Record<Contender, number>,
  { contenders, runs, warmup, settleMs }: Options,
  run: { chromium: string; loadBefore: number; loadAfter: number },
): string {
  const lines = [
    `Peerlane SDK join benchmark, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `Chromium ${run.chromium} headless, node ${process.version}, ${availableParallelism()} CPUs, ` +
      `load average ${run.loadBefore.toFixed(2)} before / ${run.loadAfter.toFixed(2)} after; ` +
      `simple-peer ${packageVersion('simple-peer')}; one signaling server on 127.0.0.1, no ICE servers`,
    'timed: page B calls join (t0, just before its WebSocket is created; page A already in the ' +
      'room) → first data channel open on A or B (t1)',
    `fresh pages per run, ${settleMs} ms settle after opening them; ${runs} measured runs per ` +
      `contender after ${warmup} warm-up, interleaved ABBA`,
    '',
    `${'contender'.padEnd(24)}${['median', 'p25', 'p75', 'min', 'max'].map((h) => h.padStart(10)).join('')}`,
  ];
  const medians: Partial<Record<Contender, number>> = {};
  for (const contender of contenders) {
    const sorted = [...samples[contender]].sort((x, y) => x - y);
    medians[contender] = quantile(sorted, 0.5);
    const figures = [0.5, 0.25, 0.75, 0, 1].map((q) => quantile(sorted, q));
    const failed = failures[contender] > 0 ? `   (${failures[contender]} runs failed)` : '';
    lines.push(
      `${LABELS[contender].padEnd(24)}${figures.map((f) => `${f.toFixed(1)} ms`.padStart(10)).join('')}${failed}`,
    );
  }
  if (medians.raw !== undefined && medians.sdk !== undefined) {
    const ratio = medians.sdk / medians.raw;
    lines.push(
      '',
      `ratio SDK / raw (medians): ${ratio.toFixed(2)}×   target ≤ ${TARGET_RATIO}×: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
