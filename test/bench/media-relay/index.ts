/**
 * `npm run bench media-relay [-- --seconds 20 --e2ee]`: one call between two Chromium pages
 * on the network-namespace test bed (each page in its own client namespace, behind its own
 * router; the Peerlane server on the server host), measured three ways in one run:
 * (a) direct WebRTC, (b) the relay (`transport: 'relay'`: WebCodecs VP8/Opus over the
 * signaling WebSocket), both on the unshaped bed (open routing), then (c) the relay through
 * 1 Mbit/s access links (`tc` token buckets on both routers, cone NATs). With `--e2ee`, (b)
 * is also run with `e2ee: { secret }`. Each page publishes the fake camera drawn on a canvas
 * with the capture time (`Date.now()`) drawn into every frame, and a steady tone; the other
 * page reads the time back from each frame it renders (`requestVideoFrameCallback`, then a
 * canvas read) — both pages run on this machine's clock — and times the audio chunks that
 * carry sound. Printed, never asserted. Needs root (namespaces).
 */
import type { Cell } from '../../netbed/cells/cells.js';
import { startSession } from '../../netbed/cells/session.js';
import type { MediaCounters } from '../../netbed/pages/media-bench-page.js';
import { netbedUnavailable } from '../../netbed/topology/support.js';
import { median } from '../shared/median.js';
import { chromiumVersion, loadLine, machine, thisPeerlane, utcMinute } from '../shared/run-info.js';
import { textTable } from '../shared/text-table.js';
import { type CallResult, type CallSetup, measureCall } from './call.js';

interface Options {
  seconds: number;
  warmup: number;
  kbit: number;
  queueMs: number;
  e2ee: boolean;
  /** Only these calls: `a`, `b`, `c`. */
  only: string[];
}

const HELP = `Usage: npm run bench media-relay -- [flags]

  --seconds N   the measured window of each call (default 20)
  --warmup N    seconds of each call before the window (default 5)
  --kbit N      the constrained links' rate, kbit/s (default 1000)
  --queue-ms N  the routers' queue on the constrained links, ms (default 200)
  --e2ee        also run the relay with e2ee: { secret }
  --only a,c    run only these calls (the ratio needs a)
`;

function parse(argv: readonly string[]): Options | undefined {
  const options: Options = {
    seconds: 20,
    warmup: 5,
    kbit: 1000,
    queueMs: 200,
    e2ee: false,
    only: ['a', 'b', 'c'],
  };
  const numbers = {
    '--seconds': 'seconds',
    '--warmup': 'warmup',
    '--kbit': 'kbit',
    '--queue-ms': 'queueMs',
  } as const;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    if (flag === '--e2ee') options.e2ee = true;
    else if (flag === '--only' && argv[i + 1]) options.only = (argv[++i] ?? '').split(',');
    else if (flag in numbers && Number(argv[i + 1]) > 0) {
      options[numbers[flag as keyof typeof numbers]] = Number(argv[++i]);
    } else return undefined;
  }
  return options;
}

/** The targets of issue #13. */
const TARGET = { relayToDirectP95: 1.5, constrainedP95Ms: 400, audioGapMs: 100 };

const OPEN: Cell = {
  id: 'bench-open',
  title: 'open routing, no ICE servers',
  policy: { kind: 'open' },
  server: 'plain',
  expect: { transport: 'direct', pairType: 'host' },
};
const CONE: Cell = {
  id: 'bench-cone',
  title: 'cone NATs, no ICE servers',
  policy: { kind: 'cone' },
  server: 'plain',
  expect: { transport: 'relay' },
};

interface Row {
  label: string;
  kind: 'direct' | 'relay' | 'constrained';
  setup: Omit<CallSetup, 'warmupMs' | 'windowMs'>;
}

function rows(options: Options): Row[] {
  const relay = { transport: 'relay' };
  const e2ee = { e2ee: { secret: 'media-relay-benchmark-secret' } };
  const shape = { kbit: options.kbit, queueMs: options.queueMs };
  return [
    { label: '(a) direct WebRTC', kind: 'direct', setup: { cell: OPEN, sdk: {} } },
    { label: '(b) relay', kind: 'relay', setup: { cell: OPEN, sdk: relay } },
    ...(options.e2ee
      ? [
          {
            label: '(b) relay with e2ee: { secret }',
            kind: 'relay',
            setup: { cell: OPEN, sdk: { ...relay, ...e2ee } },
          } satisfies Row,
        ]
      : []),
    {
      label: `(c) relay, ${options.kbit / 1000} Mbit/s links`,
      kind: 'constrained',
      setup: { cell: CONE, sdk: relay, shape },
    },
  ];
}

/** The `p`-th percentile (nearest rank) of `values`; NaN when empty. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

interface Figures {
  route: string | null;
  p50: number;
  p95: number;
  /** Median of the window's last quarter minus its first quarter, per side, the larger. */
  growth: number;
  fps: number;
  unreadable: number;
  audioGap: number;
  width: number;
  /** Per second, median of the two directions: frames the sender sent, arrived, decoded. */
  sentFps: number;
  arrivedFps: number;
  decodedFps: number;
  /** Video kbit/s sent, median of the two directions. */
  videoKbps: number;
}

function figures(result: Extract<CallResult, { ok: true }>): Figures {
  const all = result.sides.flatMap((side) => side.latencies);
  const growth = Math.max(
    ...result.sides.map((side) => {
      const quarter = Math.max(1, Math.floor(side.latencies.length / 4));
      return median(side.latencies.slice(-quarter)) - median(side.latencies.slice(0, quarter));
    }),
  );
  const fps = median(result.sides.map((side) => side.frames / (side.windowMs / 1000)));
  const seconds = (result.sides[0].windowMs + result.sides[1].windowMs) / 2000;
  // Counters at a are about b: what a sent to b is what b received (the other side's view).
  const perSecond = (pick: (c: MediaCounters) => number) =>
    median(result.counters.map((c) => pick(c) / seconds));
  return {
    route: result.route,
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    growth,
    fps,
    unreadable: result.sides.reduce((sum, side) => sum + side.unreadable, 0),
    audioGap: Math.max(...result.sides.map((side) => side.longestAudioGapMs)),
    width: Math.min(...result.sides.map((side) => side.width)),
    sentFps: perSecond((c) => c.sentVideoFrames),
    arrivedFps: perSecond((c) => c.receivedVideoPackets),
    decodedFps: perSecond((c) => c.decodedVideoFrames),
    videoKbps: perSecond((c) => (c.sentVideoBytes * 8) / 1000),
  };
}

const mark = (ok: boolean) => (ok ? '✓' : '✗');
const whole = (value: number) => (Number.isFinite(value) ? `${Math.round(value)}` : '–');

export async function runMediaRelayBenchmark(argv: readonly string[]): Promise<number> {
  const options = parse(argv);
  if (!options) {
    process.stderr.write(HELP);
    return 2;
  }
  const unavailable = await netbedUnavailable();
  if (unavailable) {
    process.stderr.write(`bench media-relay: cannot build the test bed: ${unavailable}\n`);
    return 1;
  }
  const command = `npm run bench media-relay${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  process.stdout.write(
    `${command}: ${utcMinute()}\n${machine()}; ${thisPeerlane()}; Chromium ${chromiumVersion()}\nload before: ${loadLine()}\n`,
  );
  const session = await startSession();
  const measured: Array<{ row: Row; result: CallResult }> = [];
  let room = 0;
  try {
    for (const row of rows(options).filter((r) => options.only.includes(r.label[1] ?? ''))) {
      process.stderr.write(`${row.label}…\n`);
      const result = await measureCall(
        session,
        { ...row.setup, warmupMs: options.warmup * 1000, windowMs: options.seconds * 1000 },
        `media-bench-${process.pid}-${++room}`,
      ).catch(
        (error: unknown): CallResult => ({
          ok: false,
          why: `error: ${(error as Error).message.split('\n')[0]}`,
        }),
      );
      if (result.ok && result.errors.length > 0) {
        process.stderr.write(`  SDK errors: ${result.errors.slice(0, 5).join('; ')}\n`);
      }
      measured.push({ row, result });
    }
  } finally {
    await session.close();
  }
  const direct = measured.find((m) => m.row.kind === 'direct')?.result;
  const directP95 = direct?.ok ? figures(direct).p95 : Number.NaN;
  const table: string[][] = [
    [
      'call',
      'route',
      'p50 ms',
      'p95 ms',
      '× direct p95',
      'growth ms',
      'frames/s',
      'sent/arrived/decoded/s',
      'video kbit/s',
      'width',
      'unread',
      'audio gap ms',
      'targets',
    ],
  ];
  for (const { row, result } of measured) {
    if (!result.ok) {
      // What stopped it goes last, so the figures' columns stay narrow.
      table.push([row.label, '–', ...Array<string>(10).fill(''), result.why]);
      continue;
    }
    const f = figures(result);
    const ratio = f.p95 / directP95;
    const targets: string[] = [];
    if (row.kind === 'relay')
      targets.push(
        `p95 ≤ ${TARGET.relayToDirectP95}× direct ${mark(ratio <= TARGET.relayToDirectP95)}`,
      );
    if (row.kind === 'constrained') {
      targets.push(`p95 < ${TARGET.constrainedP95Ms} ${mark(f.p95 < TARGET.constrainedP95Ms)}`);
      targets.push(`audio gap ≤ ${TARGET.audioGapMs} ${mark(f.audioGap <= TARGET.audioGapMs)}`);
    }
    table.push([
      row.label,
      f.route ?? '–',
      whole(f.p50),
      whole(f.p95),
      row.kind === 'direct' || !Number.isFinite(ratio) ? '' : ratio.toFixed(2),
      whole(f.growth),
      f.fps.toFixed(1),
      [f.sentFps, f.arrivedFps, f.decodedFps].map((v) => v.toFixed(0)).join('/'),
      whole(f.videoKbps),
      `${f.width}`,
      `${f.unreadable}`,
      whole(f.audioGap),
      targets.join(', '),
    ]);
  }
  const notes = [
    `latency: capture (Date.now() drawn into the frame on the sender's canvas) → rendered (requestVideoFrameCallback on the receiver, stamp read back from a canvas); both directions pooled, ${options.seconds} s window after ${options.warmup} s`,
    "growth: median latency of the window's last quarter minus its first (a growing queue shows here); the larger of the two directions",
    "frames/s: frames rendered per second (median of the two directions); sent/arrived/decoded: video frames per second by the SDK's getStats (WebRTC: arrived counts RTP packets); video kbit/s: sent; width: of the rendered video (the smaller side's); unread: rendered frames whose stamp was too blurred to read",
    "audio gap: the longest silence in the received audio as played (the sender sends a steady tone; an AudioWorklet on the receiver's received track finds runs of 128-sample blocks with RMS ≤ 0.01, on the audio thread and clock)",
    `(c): tc tbf ${options.kbit} kbit/s on both egresses of both routers, queue ≤ ${options.queueMs} ms, cone NATs; (a), (b): the same bed unshaped, open routing`,
  ];
  process.stdout.write(`${textTable(table, notes)}\nload after: ${loadLine()}\n`);
  return 0;
}
