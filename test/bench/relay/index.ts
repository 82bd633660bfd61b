/**
 * `npm run bench relay`: 128 MiB between two Chromium pages through a WebSocket relay on
 * loopback, two ways, in one run:
 * - floor: a bare binary relay (`bare-binary-relay.ts`: forwards each binary message to
 *   the room's other socket as is); the sender writes 64 KiB messages and keeps the
 *   socket's `bufferedAmount` under 1 MiB (the SDK's own high-water mark);
 * - SDK: `transport: 'relay'` and one `peer.sendFile` of a 128 MiB Blob, received into a
 *   WritableStream that keeps nothing, through the Peerlane signaling server (64 KiB
 *   relay frames, credit window `--window`, relay rate limits lifted). Timed until the
 *   sender's `done` (the receiver verified the SHA-256) — what a user waits for.
 * Printed, never asserted; the target is SDK ≥ 0.8 × floor.
 */
import { loadavg } from 'node:os';
import type { Browser, Page } from 'playwright-core';
import { createSignalingServer } from '../../../signaling/server.js';
import { ensureSdkBundle, launchChromium, servePages } from '../../e2e/harness/index.js';
import type { RelayBenchApi } from '../../e2e/pages/relay-api.js';
import { machine, thisPeerlane, utcMinute } from '../shared/run-info.js';
import { createBareBinaryRelay } from './bare-binary-relay.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const HOST = '127.0.0.1';
const CHUNK = 64 * KiB;
const FLOOR_HIGH_WATER_MARK = 1 * MiB;
/** Relay bytes per second, per connection and per room: far above what one pair moves. */
const LIFTED_RATE = 1024 * MiB;
const TARGET_RATIO = 0.8;

interface Options {
  mib: number;
  rounds: number;
  /** Credit windows to run the SDK with, in KiB. */
  windows: number[];
}

const HELP = `Usage: npm run bench relay -- [flags]

128 MiB between two Chromium pages through a bare binary WebSocket relay (the floor) and
through Peerlane's relay transport (transport: 'relay', one sendFile), same run.

  --mib=N          MiB per transfer (default 128)
  --rounds=N       rounds; each runs every contender once, the median is reported (default 1)
  --window=K[,K…]  the server's relayWindow in KiB, one SDK contender each (default 512,4096)
`;

function parseArgs(argv: readonly string[]): Options | null {
  const options: Options = { mib: 128, rounds: 1, windows: [512, 4096] };
  for (const arg of argv) {
    const [flag = '', value = ''] = arg.split('=', 2);
    const int = (text: string, min: number, max: number): number => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < min || n > max)
        throw new Error(`${flag} needs integers from ${min} to ${max} (got "${value}")`);
      return n;
    };
    if (flag === '--help' || flag === '-h') return null;
    else if (flag === '--mib') options.mib = int(value, 1, 4096);
    else if (flag === '--rounds') options.rounds = int(value, 1, 20);
    else if (flag === '--window') options.windows = value.split(',').map((k) => int(k, 64, 65_536));
    else throw new Error(`unknown flag ${arg} (see --help)`);
  }
  return options;
}

const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
};

/** Calls `window.relayBench[method]` in `page`. */
function call<K extends keyof RelayBenchApi>(
  page: Page,
  method: K,
  ...args: Parameters<RelayBenchApi[K]>
): Promise<Awaited<ReturnType<RelayBenchApi[K]>>> {
  return page.evaluate(
    ({ method, args }) => {
      const api = window.relayBench as unknown as Record<string, (...a: unknown[]) => unknown>;
      const fn = api[method];
      if (typeof fn !== 'function') throw new Error(`the page has no relayBench.${method}`);
      return fn(...args);
    },
    { method: method as string, args: args as unknown[] },
  ) as Promise<Awaited<ReturnType<RelayBenchApi[K]>>>;
}

/** Two fresh pages of the benchmark in one context; `problems` collects their console errors. */
async function openPair(browser: Browser, pagesUrl: string, problems: string[]) {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const pages: Page[] = [];
  for (const name of ['sender', 'receiver']) {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${name}: ${m.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${name}: ${error.message}`));
    await page.goto(`${pagesUrl}/relay-bench.html?signaling=unused`);
    await page.waitForFunction(() => window.relayBench !== undefined, undefined, {
      timeout: 10_000,
    });
    pages.push(page);
  }
  const [a, b] = pages as [Page, Page];
  return { a, b, close: () => context.close() };
}

interface RunContext {
  browser: Browser;
  pagesUrl: string;
  total: number;
  timeoutMs: number;
  problems: string[];
}

/** Floor: MiB/s through the bare binary relay. */
async function floorRun(run: RunContext): Promise<number> {
  const relay = await createBareBinaryRelay({ port: 0, host: HOST });
  const { a, b, close } = await openPair(run.browser, run.pagesUrl, run.problems);
  try {
    const url = `${relay.url}?room=floor`;
    await call(a, 'floorOpen', url, 5000);
    await call(b, 'floorOpen', url, 5000);
    const received = call(b, 'floorReceive', run.total, run.timeoutMs);
    const { startedAt } = await call(
      a,
      'floorSend',
      run.total,
      CHUNK,
      FLOOR_HIGH_WATER_MARK,
      run.timeoutMs,
    );
    const { finishedAt } = await received;
    return run.total / MiB / ((finishedAt - startedAt) / 1000);
  } finally {
    await close();
    await relay.close();
  }
}

/** SDK: MiB/s of one sendFile over the relay with the server's credit window `window`. */
async function sdkRun(run: RunContext, window: number): Promise<number> {
  const signaling = await createSignalingServer({
    port: 0,
    host: HOST,
    shutdownTimeoutMs: 1000,
    relayWindow: window,
    relayRateLimit: LIFTED_RATE,
    relayRoomRateLimit: LIFTED_RATE,
  });
  const { a, b, close } = await openPair(run.browser, run.pagesUrl, run.problems);
  try {
    const room = `bench-${window}`;
    const idA = await call(a, 'sdkJoin', signaling.url, room);
    const idB = await call(b, 'sdkJoin', signaling.url, room);
    await call(a, 'sdkWaitRelay', idB, 10_000);
    const received = call(b, 'sdkReceive', run.timeoutMs);
    const { startedAt, finishedAt } = await call(a, 'sdkSend', idB, run.total, run.timeoutMs);
    await received;
    for (const [page, id] of [
      [a, idA],
      [b, idB],
    ] as const) {
      for (const error of await call(page, 'sdkErrors')) run.problems.push(`${id}: ${error}`);
    }
    return run.total / MiB / ((finishedAt - startedAt) / 1000);
  } finally {
    await close();
    await signaling.close();
  }
}

/** Runs the benchmark with command-line `argv`; resolves with the exit code. */
export async function runRelayBenchmark(argv: readonly string[]): Promise<number> {
  let options: Options | null;
  try {
    options = parseArgs(argv);
  } catch (error) {
    log(`bench relay: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(HELP);
    return 0;
  }
  const total = options.mib * MiB;
  const loadBefore = loadavg()[0] ?? 0;
  log('building the SDK browser bundle (if sdk/ changed)…');
  await ensureSdkBundle();
  const [browser, pages] = await Promise.all([launchChromium(), servePages()]);
  const labels = ['floor', ...options.windows.map((w) => `sdk ${w}`)];
  const results = new Map<string, number[]>(labels.map((label) => [label, []]));
  const failures = new Map<string, string[]>();
  const problems: string[] = [];
  const run: RunContext = {
    browser,
    pagesUrl: pages.url,
    total,
    timeoutMs: Math.max(60_000, options.mib * 1000), // ≥ 1 MiB/s or give up
    problems,
  };
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const label of labels) {
        const window = Number(label.split(' ')[1]) * KiB;
        try {
          const mibps = label === 'floor' ? await floorRun(run) : await sdkRun(run, window);
          results.get(label)?.push(mibps);
          log(`round ${round}/${options.rounds}: ${label} ${mibps.toFixed(1)} MiB/s`);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          failures.set(label, [...(failures.get(label) ?? []), reason]);
          log(`round ${round}/${options.rounds}: ${label} FAILED: ${reason}`);
        }
      }
    }
  } finally {
    await browser.close();
    await pages.close();
  }
  const lines = [
    `Peerlane relay throughput benchmark, ${utcMinute()}`,
    `${machine()}; Chromium ${browser.version()} headless; load average ${loadBefore.toFixed(2)} before / ${(loadavg()[0] ?? 0).toFixed(2)} after`,
    `${thisPeerlane()}`,
    `${options.mib} MiB from page A to page B (two tabs of one Chromium), everything on 127.0.0.1; ${options.rounds} round(s), median`,
    `floor: bare binary ws relay, ${CHUNK / KiB} KiB messages, sender keeps bufferedAmount ≤ ${FLOOR_HIGH_WATER_MARK / MiB} MiB; timed first send → last byte received`,
    `SDK: transport 'relay', one sendFile (Blob in, WritableStream out, SHA-256 both sides); timed sendFile → done`,
    `server for SDK: relayRateLimit = relayRoomRateLimit = ${LIFTED_RATE / MiB} MiB/s (defaults 8 / 32), maxPayload 64 KiB (default), frame rate limits default; relayWindow per row`,
    '',
    `${'contender'.padEnd(40)}${'MiB/s'.padStart(10)}${'× floor'.padStart(10)}`,
  ];
  const floor = median(results.get('floor') ?? []);
  for (const label of labels) {
    const value = median(results.get(label) ?? []);
    const name =
      label === 'floor'
        ? 'floor (bare binary ws relay)'
        : `Peerlane relay, relayWindow ${label.split(' ')[1]} KiB`;
    const ratio = label === 'floor' ? '' : `${(value / floor).toFixed(2)}×`;
    const failed = failures.get(label)?.length ? `   (${failures.get(label)?.length} failed)` : '';
    lines.push(`${name.padEnd(40)}${value.toFixed(1).padStart(10)}${ratio.padStart(10)}${failed}`);
  }
  const best = Math.max(...options.windows.map((w) => median(results.get(`sdk ${w}`) ?? [])));
  lines.push(
    '',
    `best SDK / floor: ${(best / floor).toFixed(2)}×   target ≥ ${TARGET_RATIO}×: ${best / floor >= TARGET_RATIO ? 'met' : 'NOT met'}`,
    problems.length === 0
      ? 'no RATE_LIMITED, 1008 close or other page error seen'
      : `page errors (${problems.length}):\n  ${[...new Set(problems)].slice(0, 10).join('\n  ')}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return failures.size > 0 ? 1 : 0;
}
