/**
 * `npm run bench files`: 256 MiB between two pages (Chromium, or the browsers named by
 * `--browsers=SENDER,RECEIVER`, e.g. `firefox,chromium`), three ways, in one run:
 * - raw: one RTCDataChannel, 64 KiB messages, bufferedAmount back-pressure (2 MiB high,
 *   512 KiB low, as the SDK's lane) — the floor for this machine;
 * - SDK: `peer.sendFile` from a stream into a WritableStream, through the signaling server
 *   (offer, accept, credit, SHA-256 on both sides, timed until the receiver verified);
 * - PeerJS 1.5 (`peer` PeerServer on loopback, no ICE servers): the same 64 KiB chunks as
 *   ArrayBuffers with its default binary serialization, with the same back-pressure.
 * Each is timed from the first byte sent to the last received. Printed, never asserted;
 * the target is SDK ≥ 0.9 × raw and ahead of PeerJS.
 */

import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
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
import { median } from '../shared/median.js';
import { packageVersion } from '../shared/run-info.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

interface Options {
  mib: number;
  rounds: number;
  /** The sender's browser, then the receiver's. */
  browsers: [BrowserName, BrowserName];
}

const BROWSERS: readonly BrowserName[] = ['chromium', 'firefox'];

const HELP = `Usage: npm run bench files -- [flags]

256 MiB between two pages: raw RTCDataChannel, Peerlane sendFile, PeerJS.

  --mib=N            MiB per transfer (default 256)
  --rounds=N         rounds; each runs the three in turn, the median is reported (default 1)
  --browsers=A,B     the sender's and the receiver's browser: chromium or firefox
                     (default chromium,chromium; Firefox is /usr/bin/firefox-esr)
`;

function parseArgs(argv: readonly string[]): Options | null {
  const options: Options = { mib: 256, rounds: 1, browsers: ['chromium', 'chromium'] };
  for (const arg of argv) {
    const [flag = '', value = ''] = arg.split('=', 2);
    const n = Number(value);
    if (flag === '--help' || flag === '-h') return null;
    if (flag === '--mib' && Number.isInteger(n) && n >= 1 && n <= 4096) options.mib = n;
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
  const results: Record<'raw' | 'sdk' | 'peerjs', number[]> = { raw: [], sdk: [], peerjs: [] };
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
      for (const [role, browser] of [
        ['sender', options.browsers[0]],
        ['receiver', options.browsers[1]],
      ] as const) {
        const { driver } = await openBrowserPage(target(browser));
        opened.push(driver);
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

      // Raw: the floor.
      const offer = await call(a, 'rawOffer');
      await call(a, 'rawAccept', await call(b, 'rawAnswer', offer));
      const [rawSent, rawGot] = await Promise.all([
        call(a, 'rawSend', total, CHUNK, timeoutMs),
        call(b, 'rawReceive', total, timeoutMs),
      ]);
      results.raw.push(total / MiB / ((rawGot.finishedAt - rawSent.startedAt) / 1000));
      log(`round ${round}: raw ${results.raw.at(-1)?.toFixed(1)} MiB/s`);

      // The SDK.
      const room = `bench-files-${round}`;
      const idA = await call(a, 'sdkJoin', room);
      const idB = await call(b, 'sdkJoin', room);
      await call(a, 'sdkWaitOpen', idB, 10_000);
      const [sdkSent] = await Promise.all([
        call(a, 'sdkSend', idB, total, timeoutMs),
        call(b, 'sdkReceive', timeoutMs),
      ]);
      results.sdk.push(total / MiB / ((sdkSent.finishedAt - sdkSent.startedAt) / 1000));
      log(`round ${round}: sdk ${results.sdk.at(-1)?.toFixed(1)} MiB/s (${idA} → ${idB})`);

      // PeerJS.
      await call(a, 'peerjsOpen', peerServer.port, `a${round}x${process.pid}`, 10_000);
      await call(b, 'peerjsOpen', peerServer.port, `b${round}x${process.pid}`, 10_000);
      await call(a, 'peerjsConnect', `b${round}x${process.pid}`, 10_000);
      const [pjSent, pjGot] = await Promise.all([
        call(a, 'peerjsSend', total, CHUNK, timeoutMs),
        call(b, 'peerjsReceive', total, timeoutMs),
      ]);
      results.peerjs.push(total / MiB / ((pjGot.finishedAt - pjSent.startedAt) / 1000));
      log(`round ${round}: peerjs ${results.peerjs.at(-1)?.toFixed(1)} MiB/s`);

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

  const raw = median(results.raw);
  const sdk = median(results.sdk);
  const peerjs = median(results.peerjs);
  const rows = [
    ['raw RTCDataChannel (floor)', raw, '1.00', '—'],
    [
      'Peerlane sendFile',
      sdk,
      (sdk / raw).toFixed(2),
      sdk >= 0.9 * raw ? 'met (≥ 0.9)' : 'missed (≥ 0.9)',
    ],
    [`PeerJS ${packageVersion('peerjs')} (binary)`, peerjs, (peerjs / raw).toFixed(2), '—'],
  ] as const;
  const lines = [
    `# bench files: ${options.mib} MiB from a ${options.browsers[0]} page to a ${options.browsers[1]} page, ${options.rounds} round(s), median`,
    `# ${availableParallelism()} CPUs, load ${loadavg()[0]?.toFixed(2)}, ${versions.join(', ')}`,
    '',
    '| contender | MiB/s | × raw | target |',
    '|---|---:|---:|---|',
    ...rows.map(
      ([name, rate, ratio, target]) => `| ${name} | ${rate.toFixed(1)} | ${ratio} | ${target} |`,
    ),
    '',
    `SDK ÷ PeerJS: ${(sdk / peerjs).toFixed(2)} (target > 1: ${sdk > peerjs ? 'met' : 'missed'})`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('that browser was not launched');
  return value;
}
