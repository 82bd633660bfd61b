/**
 * `npm run bench files`: 256 MiB between two pages (Chromium, or the browsers named by
 * `--browsers=SENDER,RECEIVER`, e.g. `firefox,chromium`), three ways, in one run:
 * - raw: one RTCDataChannel sending one buffer again and again (no copy), with
 *   bufferedAmount back-pressure, in 64 KiB and in 256 KiB messages (`RAW`): the faster
 *   is the floor for this machine;
 * - SDK: `peer.sendFile` of a Blob (as a picked or dropped File) into a WritableStream, through the signaling server
 *   (offer, accept, credit, the digest on both sides, timed until the receiver verified);
 * - PeerJS 1.5 (`peer` PeerServer on loopback, no ICE servers): the same 64 KiB chunks as
 *   ArrayBuffers with its default binary serialization, with the same back-pressure.
 * Each connection first carries 32 MiB untimed ({@link WARM_UP}): what is compared is the
 * steady rate, not a new connection's slow first seconds.
 * Each is timed from the first byte sent to the last received; with Chromium on both ends
 * each also gets its CPU time per MiB (every Chromium process and this one) and the
 * sender page's long tasks (≥ 50 ms). Printed, never asserted; the targets are SDK ≥ 0.9 ×
 * the floor, ahead of PeerJS, and no long task.
 *
 * `--profile` saves both pages' profiles of each contender's last run (Chromium).
 */

import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createSignalingServer } from '../../../signaling/server.js';
import {
  type BrowserName,
  ensureSdkBundle,
  launchChromium,
  launchFirefox,
  openBrowserPage,
  type PageDriver,
  type PageTarget,
  servePages,
} from '../../e2e/harness/index.js';
import { ROOT } from '../../e2e/harness/sdk-bundle.js';
import { type MeasuredTransfer, measureTransfer } from '../shared/measured-transfer.js';
import { median } from '../shared/median.js';
import { profileReport } from '../shared/page-profile.js';
import { totalCpu } from '../shared/process-cpu.js';
import { packageVersion } from '../shared/run-info.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
/**
 * Bytes each connection carries, untimed, before its first timed transfer. A new
 * connection's first seconds of data move slowly here, raw channels too (timed: the raw
 * channel that went first on a new connection ran at about half the speed of the one
 * after it, whichever message size went first): without it, the contender that went first
 * on its connection paid that and the others did not.
 */
const WARM_UP = 32 * MiB;

interface Options {
  mib: number;
  rounds: number;
  /** The sender's browser, then the receiver's. */
  browsers: [BrowserName, BrowserName];
  /** Profile both pages of each contender in the last round (Chromium). */
  profile: boolean;
}

/**
 * The raw floor, tuned: one data channel sending one buffer again and again, in 64 KiB
 * messages (what the SDK and PeerJS send) and in 256 KiB ones (Chromium's largest), each
 * with the water marks that suit it. The faster is the floor.
 */
const RAW = [
  { name: 'raw64', chunk: 64 * 1024, highWater: 2 * MiB },
  { name: 'raw256', chunk: 256 * 1024, highWater: 8 * MiB },
] as const;

type Contender = (typeof RAW)[number]['name'] | 'sdk' | 'peerjs';

/** What one transfer of a contender measured. */
interface Sample extends MeasuredTransfer {
  /** The sender page's tasks of 50 ms or more (Chromium reports them). */
  longTasks: { count: number; longestMs: number };
}

const BROWSERS: readonly BrowserName[] = ['chromium', 'firefox'];

const HELP = `Usage: npm run bench files -- [flags]

256 MiB between two pages: raw RTCDataChannel, Peerlane sendFile, PeerJS.

  --mib=N            MiB per transfer (default 256)
  --rounds=N         rounds; each runs the three in turn, the median is reported (default 1)
  --browsers=A,B     the sender's and the receiver's browser: chromium or firefox
                     (default chromium,chromium; Firefox is /usr/bin/firefox-esr)
  --profile          in the last round, profile both pages of each contender (Chromium):
                     print each page's busiest functions; save the profiles in
                     test-results/profiles/ (open them in Chromium's DevTools)

Raw sends one buffer again and again (a data channel copies what it is given). Every
connection first carries ${WARM_UP / MiB} MiB untimed: a new connection's first seconds are slow
here. With two Chromium pages each row also gives the CPU time of every Chromium process
and this one per MiB, and the sender's longest main-thread task.
`;

function parseArgs(argv: readonly string[]): Options | null {
  const options: Options = {
    mib: 256,
    rounds: 1,
    browsers: ['chromium', 'chromium'],
    profile: false,
  };
  for (const arg of argv) {
    const [flag = '', value = ''] = arg.split('=', 2);
    const n = Number(value);
    if (flag === '--help' || flag === '-h') return null;
    if (flag === '--profile') options.profile = true;
    else if (flag === '--mib' && Number.isInteger(n) && n >= 1 && n <= 4096) options.mib = n;
    else if (flag === '--rounds' && Number.isInteger(n) && n >= 1 && n <= 20) options.rounds = n;
    else if (flag === '--browsers') options.browsers = parseBrowsers(value);
    else throw new Error(`bad flag ${arg} (see --help)`);
  }
  return options;
}

function parseBrowsers(value: string): [BrowserName, BrowserName] {
  const names = value.split(',');
  const known = (name: string | undefined): name is BrowserName =>
    BROWSERS.includes(name as BrowserName);
  const [sender, receiver] = names;
  if (names.length !== 2 || !known(sender) || !known(receiver)) {
    throw new Error(`--browsers wants two of ${BROWSERS.join(', ')}, comma-separated: ${value}`);
  }
  return [sender, receiver];
}

const log = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

/** PeerServer in a child process (see peer-server.ts). */
async function startPeerServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const child = fork(join(import.meta.dirname, 'peer-server.ts'), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { port } = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { port: number }));
    child.once('exit', (code) => reject(new Error(`PeerServer exited with ${code}`)));
  });
  return {
    port,
    close: async () => {
      child.disconnect();
      await exited;
    },
  };
}

/** Runs the benchmark with command-line `argv`; resolves with the exit code. */
export async function runFilesBenchmark(argv: readonly string[]): Promise<number> {
  let options: Options | null;
  try {
    options = parseArgs(argv);
  } catch (error) {
    log(`bench files: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(HELP);
    return 0;
  }
  const total = options.mib * MiB;
  const loadBefore = loadavg()[0] ?? 0;
  const timeoutMs = Math.max(60_000, (total / MiB) * 1000); // ≥ 1 MiB/s or give up
  log('building the SDK browser bundle (if sdk/ changed)…');
  await ensureSdkBundle();
  const wanted = new Set(options.browsers);
  const [chromium, firefox, pages, signaling, peerServer] = await Promise.all([
    wanted.has('chromium') ? launchChromium() : undefined,
    wanted.has('firefox') ? launchFirefox() : undefined,
    servePages(),
    createSignalingServer({ port: 0, shutdownTimeoutMs: 1000 }),
    startPeerServer(),
  ]);
  const versions = [chromium && `Chromium ${chromium.version()}`, firefox?.version].filter(Boolean);
  const results: Record<Contender, Sample[]> = { raw64: [], raw256: [], sdk: [], peerjs: [] };
  /** CPU by process says something only when every page is Chromium's. */
  const chromiumOnly = options.browsers.every((name) => name === 'chromium');
  let report: string[] = [];
  const peerjsScript = readFileSync(join(ROOT, 'node_modules/peerjs/dist/peerjs.min.js'), 'utf8');
  try {
    const target = (name: BrowserName): PageTarget =>
      name === 'chromium'
        ? { browser: 'chromium', in: need(chromium) }
        : { browser: 'firefox', in: need(firefox).browser };
    const url = (name: string) =>
      `${pages.url}/bench-files.html?${new URLSearchParams({ signaling: signaling.url })}#${name}`;
    for (let round = 1; round <= options.rounds; round += 1) {
      const opened: PageDriver[] = [];
      /** The Chromium pages (for their profiles), by role. */
      const native: Array<Page | undefined> = [];
      for (const [role, browser] of [
        ['sender', options.browsers[0]],
        ['receiver', options.browsers[1]],
      ] as const) {
        const { page, driver } = await openBrowserPage(target(browser));
        opened.push(driver);
        native.push(browser === 'chromium' ? (page as Page) : undefined);
        driver.onConsole((type, text) => {
          if (type === 'error') log(`${role} page: ${text}`);
        });
        await driver.goto(url(role), 30_000);
        await driver.waitFor(() => window.peerlaneTest !== undefined, 30_000);
        // PeerJS's browser build as a classic script: it defines window.Peer.
        await driver.evaluate((code) => {
          const script = document.createElement('script');
          script.textContent = code;
          document.head.append(script);
        }, peerjsScript);
      }
      const [a, b] = opened as [PageDriver, PageDriver];
      type Api = import('../../e2e/pages/files-api.js').BenchFilesPageApi;
      const call = <K extends keyof Api>(
        page: PageDriver,
        method: K,
        ...args: Parameters<Api[K]>
      ) =>
        page.evaluate(
          ({ method, args }) => {
            const api = window.peerlaneTest as unknown as Record<
              string,
              (...a: unknown[]) => unknown
            >;
            return api[method]?.(...args);
          },
          { method: method as string, args: args as unknown[] },
        ) as Promise<Awaited<ReturnType<Api[K]>>>;

      /**
       * Runs one contender's transfer (resolving with its start and end, page clock):
       * throughput, CPU by process (Chromium) and the sender's long tasks; in the last
       * round with `--profile`, both pages' profiles.
       */
      const measure = async (
        name: Contender,
        transfer: () => Promise<{ startedAt: number; finishedAt: number }>,
      ) => {
        const [sender, receiver] = native;
        const profiled = options.profile && round === options.rounds && sender && receiver;
        await call(a, 'longTasks');
        const measured = await measureTransfer(
          total,
          transfer,
          profiled ? { sender, receiver } : undefined,
        );
        const sample: Sample = {
          ...measured,
          cpu: chromiumOnly ? measured.cpu : undefined, // other browsers' processes are not read
          longTasks: await call(a, 'longTasks'),
        };
        results[name].push(sample);
        const cpu = sample.cpu
          ? `, ${((1000 * totalCpu(sample.cpu)) / (total / MiB)).toFixed(0)} ms CPU/MiB`
          : '';
        log(`round ${round}: ${name} ${sample.mibps.toFixed(1)} MiB/s${cpu}`);
      };

      // Raw: the floor, each way of sending on one channel in turn, after a warm-up.
      const offer = await call(a, 'rawOffer');
      await call(a, 'rawAccept', await call(b, 'rawAnswer', offer));
      let received = WARM_UP;
      const [, warm] = RAW; // 256 KiB messages, 8 MiB buffered
      await Promise.all([
        call(a, 'rawSend', WARM_UP, warm.chunk, warm.highWater, timeoutMs),
        call(b, 'rawReceive', received, timeoutMs),
      ]);
      for (const { name, chunk, highWater } of RAW) {
        await measure(name, async () => {
          received += total;
          const [sent, got] = await Promise.all([
            call(a, 'rawSend', total, chunk, highWater, timeoutMs),
            call(b, 'rawReceive', received, timeoutMs),
          ]);
          return { startedAt: sent.startedAt, finishedAt: got.finishedAt };
        });
      }

      // The SDK.
      const room = `bench-files-${round}`;
      await call(a, 'sdkJoin', room);
      const idB = await call(b, 'sdkJoin', room);
      await call(a, 'sdkWaitOpen', idB, 10_000);
      await call(a, 'sdkFile', WARM_UP);
      await Promise.all([call(a, 'sdkSend', idB, timeoutMs), call(b, 'sdkReceive', timeoutMs)]);
      await call(a, 'sdkFile', total);
      await measure('sdk', async () => {
        const [sent] = await Promise.all([
          call(a, 'sdkSend', idB, timeoutMs),
          call(b, 'sdkReceive', timeoutMs),
        ]);
        return sent;
      });

      // PeerJS.
      await call(a, 'peerjsOpen', peerServer.port, `a${round}x${process.pid}`, 10_000);
      await call(b, 'peerjsOpen', peerServer.port, `b${round}x${process.pid}`, 10_000);
      await call(a, 'peerjsConnect', `b${round}x${process.pid}`, 10_000);
      await Promise.all([
        call(a, 'peerjsSend', WARM_UP, CHUNK, timeoutMs),
        call(b, 'peerjsReceive', WARM_UP, timeoutMs),
      ]);
      await measure('peerjs', async () => {
        const [sent, got] = await Promise.all([
          call(a, 'peerjsSend', total, CHUNK, timeoutMs),
          call(b, 'peerjsReceive', WARM_UP + total, timeoutMs),
        ]);
        return { startedAt: sent.startedAt, finishedAt: got.finishedAt };
      });
      // Before the pages' server closes: the profiles are named by its source maps.
      if (options.profile && round === options.rounds) {
        report = await profileReport('files', Object.entries(results));
      }

      await Promise.all([call(a, 'close'), call(b, 'close')]);
      await Promise.all([a.close(), b.close()]);
    }
  } finally {
    await chromium?.close();
    await firefox?.close();
    await pages.close();
    await signaling.close();
    await peerServer.close();
  }

  const rate = (name: Contender) => median(results[name].map((sample) => sample.mibps));
  /** Median CPU ms per MiB, or undefined without CPU figures. */
  const cpuPerMiB = (name: Contender) => {
    const values = results[name].flatMap((sample) =>
      sample.cpu ? [(1000 * totalCpu(sample.cpu)) / options.mib] : [],
    );
    return values.length > 0 ? median(values) : undefined;
  };
  /** The floor: the faster way of sending raw. */
  const floor: Contender = rate('raw64') >= rate('raw256') ? 'raw64' : 'raw256';
  const raw = rate(floor);
  const sdk = rate('sdk');
  const peerjs = rate('peerjs');
  const names: Record<Contender, string> = {
    raw64: 'raw RTCDataChannel, 64 KiB messages, 2 MiB buffered',
    raw256: 'raw RTCDataChannel, 256 KiB messages, 8 MiB buffered',
    sdk: 'Peerlane sendFile',
    peerjs: `PeerJS ${packageVersion('peerjs')} (binary)`,
  };
  const rows = (Object.keys(names) as Contender[]).map((name) => {
    const cpu = cpuPerMiB(name);
    const rawCpu = cpuPerMiB(floor);
    const longest = Math.max(...results[name].map((sample) => sample.longTasks.longestMs));
    const tasks = results[name].reduce((sum, sample) => sum + sample.longTasks.count, 0);
    return [
      `${names[name]}${name === floor ? ' (floor)' : ''}`,
      rate(name).toFixed(1),
      (rate(name) / raw).toFixed(2),
      cpu === undefined ? 'n/a' : cpu.toFixed(0),
      cpu === undefined || rawCpu === undefined ? '' : (cpu / rawCpu).toFixed(2),
      `${tasks} / ${longest.toFixed(0)} ms`,
      name === 'sdk' ? (sdk >= 0.9 * raw ? 'met (≥ 0.9)' : 'missed (≥ 0.9)') : '—',
    ];
  });
  const lines = [
    `# bench files: ${options.mib} MiB from a ${options.browsers[0]} page to a ${options.browsers[1]} page, ${options.rounds} round(s), median`,
    `# ${availableParallelism()} CPUs, load ${loadBefore.toFixed(2)} before / ${loadavg()[0]?.toFixed(2)} after, ${versions.join(', ')}`,
    "# CPU: every Chromium process and this one (servers), ms per MiB moved; long tasks: the sender page's tasks ≥ 50 ms, all rounds / the longest",
    '',
    '| contender | MiB/s | × floor | CPU ms/MiB | × floor | long tasks | target |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
    '',
    `SDK ÷ PeerJS: ${(sdk / peerjs).toFixed(2)} (target > 1: ${sdk > peerjs ? 'met' : 'missed'})`,
    ...(report.length > 0 ? ['', ...report] : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('that browser was not launched');
  return value;
}
