/**
 * `npm run bench relay`: 128 MiB between two Chromium pages through a WebSocket relay on
 * loopback, in one run:
 * - floor: a bare binary relay (`bare-binary-relay.ts`: forwards each binary message to
 *   the room's other socket as is); the sender writes 64 KiB messages and keeps the
 *   socket's `bufferedAmount` under 1 MiB (the SDK's own high-water mark);
 * - SDK messages: `transport: 'relay'`, `peer.send()` of 1 MiB Uint8Arrays, the sender
 *   keeping `peer.bufferedAmount` under 4 MiB — the relay transport itself;
 * - SDK file: `transport: 'relay'`, one `peer.sendFile` of a 128 MiB Blob into a
 *   WritableStream that keeps nothing, timed until the sender's `done` (the receiver
 *   verified the digest): what a user of file transfer waits for.
 * The SDK runs through the Peerlane signaling server (relay rate limits lifted, credit
 * window `--window`). Each contender starts once the machine is quiet (`untilQuiet`: what
 * the one before it left behind does not land on it). Each contender's CPU time (the browser's processes and this one,
 * which hosts both servers) is printed too: on a small machine the relay is CPU-bound.
 * With `--e2ee`, every SDK contender also runs with end-to-end encryption (`e2ee`), and
 * its row says how it compares with the same contender without (target ≥ 0.9×). With
 * `--profile`, both pages of each contender, the floor's too, are profiled in the last round
 * (`page-profile.ts`). Printed, never asserted; the target is SDK ≥ 0.8 × floor.
 *
 * Chromium is driven with DevTools' Network domain off (`launchUnwatchedChromium`): with it
 * on, as Playwright has it, Chromium hands every WebSocket frame to the driver, and that
 * cost more CPU than the relay itself (a bare upload: 13 MiB/s watched, 31 unwatched).
 */
import { loadavg } from 'node:os';
import type { Browser, Page } from 'puppeteer-core';
import { DEFAULT_OPTIONS } from '../../../signaling/options.js';
import { createSignalingServer } from '../../../signaling/server.js';
import { ensureSdkBundle, launchUnwatchedChromium, servePages } from '../../e2e/harness/index.js';
import type { RelayBenchApi } from '../../e2e/pages/relay-api.js';
import { type MeasuredTransfer, measureTransfer } from '../shared/measured-transfer.js';
import { median } from '../shared/median.js';
import { profileReport } from '../shared/page-profile.js';
import { totalCpu } from '../shared/process-cpu.js';
import { untilQuiet } from '../shared/quiet-cpus.js';
import { machine, thisPeerlane, utcMinute } from '../shared/run-info.js';
import { textTable } from '../shared/text-table.js';
import { createBareBinaryRelay } from './bare-binary-relay.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const HOST = '127.0.0.1';
const CHUNK = 64 * KiB;
const FLOOR_HIGH_WATER_MARK = 1 * MiB;
const MESSAGE_BYTES = 1 * MiB;
const MESSAGES_HIGH_WATER_MARK = 4 * MiB;
/** Relay bytes per second, per connection and per room: far above what one pair moves. */
const LIFTED_RATE = 1024 * MiB;
/** The server's own relay rate limits, per connection and per room, in MiB/s. */
const DEFAULT_RATES = `${DEFAULT_OPTIONS.relayRateLimit / MiB} / ${DEFAULT_OPTIONS.relayRoomRateLimit / MiB}`;
const TARGET_RATIO = 0.8;

interface Options {
  mib: number;
  rounds: number;
  /** Credit windows to run the SDK with, in KiB. */
  windows: number[];
  /** Also run each SDK contender with end-to-end encryption. */
  e2ee: boolean;
  /** Profile both pages of each SDK contender in the last round. */
  profile: boolean;
  /** Leave the server's relay rate limits at their defaults (what a user of a default server gets). */
  defaultLimits: boolean;
}

/** One way of moving the bytes. */
interface Contender {
  label: string;
  kind: 'floor' | 'messages' | 'file';
  /** The server's relay window, for the SDK kinds. */
  window: number;
  /** With a room secret (`e2ee`). */
  e2ee: boolean;
}

/** What one run of a contender measured. */
interface Sample extends MeasuredTransfer {
  /** All of `cpu`'s seconds. */
  cpuSeconds: number | undefined;
}

const HELP = `Usage: npm run bench relay -- [flags]

128 MiB between two Chromium pages through a bare binary WebSocket relay (the floor) and
through Peerlane's relay transport (transport: 'relay'): peer.send() of 1 MiB messages,
and one sendFile (its digest on both sides); same run.

  --mib=N          MiB per transfer (default 128)
  --rounds=N       rounds; each runs every contender once, the median is reported (default 1)
  --window=K[,K…]  the server's relayWindow in KiB, one pair of SDK contenders each (default 512,4096)
  --e2ee           also run each SDK contender with end-to-end encryption (e2ee), compared with it off
  --default-limits leave the Peerlane server's relay rate limits at their defaults (8 MiB/s
                   per connection): what an app on a default server gets, e.g. what e2ee
                   costs there (the floor is not limited: its ratios then say little)
  --profile        in the last round, profile both pages of each contender: print CPU by
                   process and each page's busiest functions; save the profiles in
                   test-results/profiles/ (open them in Chromium's DevTools)
`;

function parseArgs(argv: readonly string[]): Options | null {
  const options: Options = {
    mib: 128,
    rounds: 1,
    windows: [512, 4096],
    e2ee: false,
    profile: false,
    defaultLimits: false,
  };
  for (const arg of argv) {
    const [flag = '', value = ''] = arg.split('=', 2);
    const int = (text: string, min: number, max: number): number => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < min || n > max)
        throw new Error(`${flag} needs integers from ${min} to ${max} (got "${value}")`);
      return n;
    };
    if (flag === '--help' || flag === '-h') return null;
    else if (flag === '--e2ee') options.e2ee = true;
    else if (flag === '--profile') options.profile = true;
    else if (flag === '--default-limits') options.defaultLimits = true;
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
  const context = await browser.createBrowserContext();
  const pages: Page[] = [];
  for (const name of ['sender', 'receiver']) {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${name}: ${m.text()}`);
    });
    page.on('pageerror', (error) =>
      problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`),
    );
    await page.goto(`${pagesUrl}/relay-bench.html?signaling=unused`);
    await page.waitForFunction(() => window.relayBench !== undefined, { timeout: 10_000 });
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
  /** Profile the pages of every contender in this round. */
  profile: boolean;
  /** The server's relay rate limits: lifted, or its defaults. */
  defaultLimits: boolean;
}

/**
 * Times `transfer` from `sender` to `receiver` (it resolves with its start and end, page
 * clock) and the CPU it took; profiles both pages when the round asks for it.
 */
async function measured(
  run: RunContext,
  sender: Page,
  receiver: Page,
  transfer: () => Promise<{ startedAt: number; finishedAt: number }>,
): Promise<Sample> {
  const pages = run.profile ? { sender, receiver } : undefined;
  const result = await measureTransfer(run.total, transfer, pages);
  return { ...result, cpuSeconds: result.cpu && totalCpu(result.cpu) };
}

/** Floor: the bare binary relay. */
async function floorRun(run: RunContext): Promise<Sample> {
  const relay = await createBareBinaryRelay({ port: 0, host: HOST });
  const { a, b, close } = await openPair(run.browser, run.pagesUrl, run.problems);
  try {
    const url = `${relay.url}?room=floor`;
    await call(a, 'floorOpen', url, 5000);
    await call(b, 'floorOpen', url, 5000);
    return await measured(run, a, b, async () => {
      const received = call(b, 'floorReceive', run.total, run.timeoutMs);
      const { startedAt } = await call(
        a,
        'floorSend',
        run.total,
        CHUNK,
        FLOOR_HIGH_WATER_MARK,
        run.timeoutMs,
      );
      return { startedAt, finishedAt: (await received).finishedAt };
    });
  } finally {
    await close();
    await relay.close();
  }
}

/** SDK: messages or one file over the relay, with the server's credit window `window`. */
async function sdkRun(run: RunContext, contender: Contender): Promise<Sample> {
  const signaling = await createSignalingServer({
    port: 0,
    host: HOST,
    shutdownTimeoutMs: 1000,
    relayWindow: contender.window,
    ...(run.defaultLimits ? {} : { relayRateLimit: LIFTED_RATE, relayRoomRateLimit: LIFTED_RATE }),
  });
  const { a, b, close } = await openPair(run.browser, run.pagesUrl, run.problems);
  try {
    const room = `bench-${contender.kind}-${contender.window}`;
    const secret = contender.e2ee ? 'a benchmark room secret' : undefined;
    const idA = await call(a, 'sdkJoin', signaling.url, room, secret);
    const idB = await call(b, 'sdkJoin', signaling.url, room, secret);
    await call(a, 'sdkWaitRelay', idB, 10_000);
    if (contender.kind === 'file') await call(a, 'sdkFile', run.total);
    const sample = await measured(run, a, b, async () => {
      if (contender.kind === 'file') {
        const received = call(b, 'sdkReceive', run.timeoutMs);
        const times = await call(a, 'sdkSend', idB, run.timeoutMs);
        await received;
        return times;
      }
      const received = call(b, 'sdkReceiveMessages', run.total, run.timeoutMs);
      const { startedAt } = await call(
        a,
        'sdkSendMessages',
        idB,
        run.total,
        MESSAGE_BYTES,
        MESSAGES_HIGH_WATER_MARK,
        run.timeoutMs,
      );
      return { startedAt, finishedAt: (await received).finishedAt };
    });
    for (const [page, id] of [
      [a, idA],
      [b, idB],
    ] as const) {
      for (const error of await call(page, 'sdkErrors')) run.problems.push(`${id}: ${error}`);
    }
    return sample;
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
  const [browser, pages] = await Promise.all([launchUnwatchedChromium(), servePages()]);
  const version = await browser.version(); // e.g. HeadlessChrome/156.0.8078.129
  const contenders: Contender[] = [
    { label: 'floor', kind: 'floor', window: 0, e2ee: false },
    ...options.windows.flatMap((w) =>
      (['messages', 'file'] as const).flatMap((kind) =>
        (options.e2ee ? [false, true] : [false]).map((e2ee) => ({
          label: `${kind} ${w}${e2ee ? ' e2ee' : ''}`,
          kind,
          window: w * KiB,
          e2ee,
        })),
      ),
    ),
  ];
  /** Each contender's samples by round (index round − 1; a failed run leaves its round empty). */
  const results = new Map<string, Array<Sample | undefined>>(contenders.map((c) => [c.label, []]));
  const samples = (label: string): Sample[] =>
    (results.get(label) ?? []).filter((s) => s !== undefined);
  const failures = new Map<string, string[]>();
  const problems: string[] = [];
  const run: RunContext = {
    browser,
    pagesUrl: pages.url,
    total,
    timeoutMs: Math.max(60_000, options.mib * 1000), // ≥ 1 MiB/s or give up
    problems,
    profile: false,
    defaultLimits: options.defaultLimits,
  };
  let report: string[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      run.profile = options.profile && round === options.rounds;
      for (const contender of contenders) {
        const { label } = contender;
        const settled = await untilQuiet();
        if (!settled.quiet)
          log(
            `round ${round}/${options.rounds}: ${label}: the CPUs were still busy after ${settled.waitedMs} ms`,
          );
        try {
          const sample =
            contender.kind === 'floor' ? await floorRun(run) : await sdkRun(run, contender);
          (results.get(label) ?? [])[round - 1] = sample;
          const byProcess = [...(sample.cpu ?? [])]
            .filter(([, seconds]) => seconds >= 0.01)
            .sort((a, b) => b[1] - a[1])
            .map(([process, seconds]) => `${process} ${seconds.toFixed(2)}`)
            .join(', ');
          log(
            `round ${round}/${options.rounds}: ${label} ${sample.mibps.toFixed(1)} MiB/s; CPU s: ${byProcess}`,
          );
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          failures.set(label, [...(failures.get(label) ?? []), reason]);
          log(`round ${round}/${options.rounds}: ${label} FAILED: ${reason}`);
        }
      }
    }
    // Before the pages' server closes: the profiles are named by its source maps.
    if (options.profile) {
      report = await profileReport(
        'relay',
        contenders.map(({ label }) => [label, samples(label)]),
      );
    }
  } finally {
    await browser.close();
    await pages.close();
  }
  const mibps = (label: string) => median(samples(label).map((s) => s.mibps));
  const cpu = (label: string) => {
    const values = samples(label).flatMap((s) => s.cpuSeconds ?? []);
    return values.length === 0 ? Number.NaN : median(values);
  };
  const floor = mibps('floor');
  const names: Record<Contender['kind'], string> = {
    floor: 'floor: bare binary ws relay',
    messages: 'Peerlane relay, peer.send 1 MiB',
    file: 'Peerlane relay, sendFile + digest',
  };
  const table = [
    ['contender', 'relayWindow', 'MiB/s', '× floor', 'CPU s', '× floor', 'e2ee × off'],
  ];
  for (const { label, kind, window, e2ee } of contenders) {
    const failed = failures.get(label)?.length;
    const value = mibps(label);
    const seconds = cpu(label);
    const plain = e2ee ? mibps(label.replace(/ e2ee$/, '')) : Number.NaN;
    table.push([
      `${names[kind]}${e2ee ? ', e2ee' : ''}${failed ? ` (${failed} failed)` : ''}`,
      kind === 'floor' ? '' : `${window / KiB} KiB`,
      value.toFixed(1),
      kind === 'floor' ? '' : `${(value / floor).toFixed(2)}×`,
      Number.isNaN(seconds) ? 'n/a' : seconds.toFixed(2),
      kind === 'floor' || Number.isNaN(seconds) ? '' : `${(seconds / cpu('floor')).toFixed(2)}×`,
      e2ee ? `${(value / plain).toFixed(2)}×` : '',
    ]);
  }
  // Each SDK contender against the floor of its own round: the floor moves between rounds
  // (this machine's slow spells), and a ratio within a round has both in the same one.
  const perRound = [
    ['contender', ...Array.from({ length: options.rounds }, (_, i) => `round ${i + 1}`), 'median'],
  ];
  const floorRounds = results.get('floor') ?? [];
  for (const { label } of contenders.filter((c) => c.kind !== 'floor')) {
    const ratios = Array.from({ length: options.rounds }, (_, i) => {
      const sample = results.get(label)?.[i];
      const floorThen = floorRounds[i];
      return sample && floorThen ? sample.mibps / floorThen.mibps : undefined;
    });
    const counted = ratios.filter((r): r is number => r !== undefined);
    perRound.push([
      label,
      ...ratios.map((ratio) => ratio?.toFixed(2) ?? '–'),
      counted.length > 0 ? `${median(counted).toFixed(2)}×` : '–',
    ]);
  }
  const best = (kind: Contender['kind']) =>
    Math.max(...contenders.filter((c) => c.kind === kind && !c.e2ee).map((c) => mibps(c.label)));
  const verdict = (ratio: number) =>
    `${ratio.toFixed(2)}× (${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`;
  const lines = [
    `Peerlane relay throughput benchmark, ${utcMinute()}`,
    `${machine()}; Chromium ${version.split('/')[1] ?? version} headless, DevTools' Network domain off; load average ${loadBefore.toFixed(2)} before / ${(loadavg()[0] ?? 0).toFixed(2)} after`,
    `${thisPeerlane()}`,
    `${options.mib} MiB from page A to page B (two tabs of one Chromium), everything on 127.0.0.1; ${options.rounds} round(s), median`,
    `floor: ${CHUNK / KiB} KiB messages, sender keeps bufferedAmount ≤ ${FLOOR_HIGH_WATER_MARK / MiB} MiB; timed first send → last byte received`,
    `messages: transport 'relay', peer.send of ${MESSAGE_BYTES / MiB} MiB Uint8Arrays, peer.bufferedAmount ≤ ${MESSAGES_HIGH_WATER_MARK / MiB} MiB; timed first send → last message received`,
    `file: transport 'relay', one sendFile (Blob in, WritableStream out, digest both sides); timed sendFile → done`,
    options.defaultLimits
      ? `server for the SDK: its default relay rate limits (${DEFAULT_RATES} MiB/s per connection / room; the floor has none), maxPayload 64 KiB (default); relayWindow per row`
      : `server for the SDK: relay rate limits lifted to ${LIFTED_RATE / MiB} MiB/s (defaults ${DEFAULT_RATES}), maxPayload 64 KiB (default); relayWindow per row`,
    `CPU s: CPU time of every Chromium process and of this process (both relays run in it) during the transfer`,
    'each contender starts once all CPUs were ≤ 15 % busy for 0.5 s (at most 15 s of waiting)',
    '',
    textTable(table),
    '',
    `best / floor: relay transport (messages) ${verdict(best('messages') / floor)}, sendFile ${verdict(best('file') / floor)}; target ≥ ${TARGET_RATIO}×`,
    '',
    '× the floor of the same round (MiB/s ÷ MiB/s):',
    textTable(perRound),
    problems.length === 0
      ? 'no RATE_LIMITED, 1008 close or other page error seen'
      : `page errors (${problems.length}):\n  ${[...new Set(problems)].slice(0, 10).join('\n  ')}`,
  ];
  if (report.length > 0) lines.push('', ...report);
  process.stdout.write(`${lines.join('\n')}\n`);
  return failures.size > 0 ? 1 : 0;
}
