/**
 * `npm run bench media-relay [-- --seconds 20 --e2ee]`: one call between two Chromium pages
 * on the network-namespace test bed (each page in its own client namespace, behind its own
 * router; the Peerlane server on the server host), measured three ways in one run:
 * (a) direct WebRTC, (b) the relay (`transport: 'relay'`: WebCodecs VP8/Opus over the
 * signaling WebSocket), both on the unshaped bed (open routing), then (c) the relay through
 * 1 Mbit/s access links (`tc` token buckets on both routers, cone NATs). With `--e2ee`, (b)
 * is also run with `e2ee: { secret }`; with `--file N`, (d) the direct call while page a
 * sends page b an N MiB file, (e) that file alone, no call (what the call costs the
 * file, and the file the call), and (f) the relayed call with the file; with
 * `--rounds N` every call N times, in turn (each figure the median); each call starts once
 * the machine is quiet again (`untilQuiet`), so what one call leaves behind does not land
 * on the next row in the fixed order. Each page publishes the fake camera drawn in a Worker
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
import { untilQuiet } from '../shared/quiet-cpus.js';
import { chromiumVersion, loadLine, machine, thisPeerlane, utcMinute } from '../shared/run-info.js';
import { textTable } from '../shared/text-table.js';
import { type CallResult, type CallSetup, measureCall } from './call.js';

interface Options {
  seconds: number;
  warmup: number;
  kbit: number;
  queueMs: number;
  e2ee: boolean;
  /** Only these calls: `a`, `b`, … `h`. */
  only: string[];
  /** Rounds of every call; each figure is the median over them. */
  rounds: number;
  /** MiB of the file of calls (d)–(h); 0: no such calls. */
  file: number;
}

const HELP = `Usage: npm run bench media-relay -- [flags]

  --seconds N   the measured window of each call (default 20)
  --warmup N    seconds of each call before the window (default 5)
  --kbit N      the constrained links' rate, kbit/s (default 1000)
  --queue-ms N  the routers' queue on the constrained links, ms (default 200)
  --e2ee        also run the relay with e2ee: { secret }
  --file N      also (d) the direct call while a sends b an N MiB file (from before the
                warm-up; what it moves in the window is counted), (e) that file alone,
                (f) the relayed call (b) with the file, and (g), (h): (d) and (f) with
                files unpaced (callFilePace 1 GiB/s), the baseline of calls first
  --only a,c    run only these calls (the ratio needs a)
  --rounds N    run every call N times, in turn (a, b, c, a, b, c, …); each figure
                is the median of the rounds (default 1)
`;

function parse(argv: readonly string[]): Options | undefined {
  const options: Options = {
    seconds: 20,
    warmup: 5,
    kbit: 1000,
    queueMs: 200,
    e2ee: false,
    only: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
    rounds: 1,
    file: 0,
  };
  const numbers = {
    '--seconds': 'seconds',
    '--warmup': 'warmup',
    '--kbit': 'kbit',
    '--queue-ms': 'queueMs',
    '--rounds': 'rounds',
    '--file': 'file',
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
  kind: 'direct' | 'relay' | 'constrained' | 'call-and-file' | 'file';
  setup: Omit<CallSetup, 'warmupMs' | 'windowMs'>;
}

/** Each round's figures of one row, or why that round has none. */
type RoundsOf = ReadonlyArray<Figures | string>;

/**
 * What `e2ee` adds to the relayed call, round by round (the two calls of a round run one
 * after the other, so both are more often in the same state of this machine than the
 * rounds' medians are): p50 and p95 with `e2ee` minus without, and their medians. Undefined
 * without an `e2ee` row.
 */
function sealingCost(measured: ReadonlyArray<{ row: Row; rounds: RoundsOf }>): string | undefined {
  const relayed = (sealedOrNot: boolean) =>
    measured.find(
      ({ row }) => row.kind === 'relay' && (row.setup.sdk.e2ee !== undefined) === sealedOrNot,
    )?.rounds;
  const [plain, sealed] = [relayed(false), relayed(true)];
  if (!plain || !sealed) return undefined;
  const line = (key: 'p50' | 'p95'): string => {
    const differences = sealed.map((s, i) => {
      const p = plain[i];
      return typeof s === 'string' || typeof p !== 'object' ? undefined : s[key] - p[key];
    });
    const counted = differences.filter((d): d is number => d !== undefined);
    const each = differences.map((d) =>
      d === undefined ? '–' : `${d > 0 ? '+' : ''}${Math.round(d)}`,
    );
    return `  ${key}: ${each.join(', ')} ms${counted.length > 0 ? `; median ${Math.round(median(counted))} ms` : ''}`;
  };
  return [
    `e2ee minus plain relay, round by round (target: ≤ +5 ms):`,
    line('p50'),
    line('p95'),
  ].join('\n');
}

function rows(options: Options): Row[] {
  const relay = { transport: 'relay' };
  const e2ee = { e2ee: { secret: 'media-relay-benchmark-secret' } };
  const shape = { kbit: options.kbit, queueMs: options.queueMs };
  // Files as fast as the route takes them during a call: what pacing them is measured against.
  const unpaced = { callFilePace: 2 ** 30 };
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
    ...(options.file > 0
      ? ([
          {
            label: `(d) direct WebRTC, a ${options.file} MiB file a → b during it`,
            kind: 'call-and-file',
            setup: { cell: OPEN, sdk: {}, file: options.file },
          },
          {
            label: `(e) the ${options.file} MiB file alone, no call`,
            kind: 'file',
            setup: { cell: OPEN, sdk: {}, file: options.file, media: false },
          },
          {
            label: `(f) relay, the ${options.file} MiB file a → b during it`,
            kind: 'call-and-file',
            setup: { cell: OPEN, sdk: relay, file: options.file },
          },
          {
            label: '(g) as (d), files unpaced',
            kind: 'call-and-file',
            setup: { cell: OPEN, sdk: unpaced, file: options.file },
          },
          {
            label: '(h) as (f), files unpaced',
            kind: 'call-and-file',
            setup: { cell: OPEN, sdk: { ...relay, ...unpaced }, file: options.file },
          },
        ] satisfies Row[])
      : []),
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
  /** The width video was sent at by the window's end (the smaller side's). */
  sentWidth: number;
  /** Per second, median of the two directions: frames the sender sent, arrived, decoded. */
  sentFps: number;
  arrivedFps: number;
  decodedFps: number;
  /** Video kbit/s sent, median of the two directions. */
  videoKbps: number;
  /** MiB/s the call's file moved in the window (NaN: no file). */
  fileMibPerSecond: number;
  /** Route changes in the window (`transport-change`), the page with more. */
  routeChanges: number;
}

/** A call without media: its figures are NaN (shown as –). */
const NO_CALL = {
  p50: Number.NaN,
  p95: Number.NaN,
  growth: Number.NaN,
  fps: Number.NaN,
  unreadable: Number.NaN,
  audioGap: Number.NaN,
  width: Number.NaN,
  sentWidth: Number.NaN,
  sentFps: Number.NaN,
  arrivedFps: Number.NaN,
  decodedFps: Number.NaN,
  videoKbps: Number.NaN,
  routeChanges: Number.NaN,
};

function figures(result: Extract<CallResult, { ok: true }>): Figures {
  const fileMibPerSecond = result.file?.mibPerSecond ?? Number.NaN;
  const call = result.call;
  if (!call) return { ...NO_CALL, route: result.route, fileMibPerSecond };
  const all = call.sides.flatMap((side) => side.latencies);
  const growth = Math.max(
    ...call.sides.map((side) => {
      const quarter = Math.max(1, Math.floor(side.latencies.length / 4));
      return median(side.latencies.slice(-quarter)) - median(side.latencies.slice(0, quarter));
    }),
  );
  const fps = median(call.sides.map((side) => side.frames / (side.windowMs / 1000)));
  const seconds = (call.sides[0].windowMs + call.sides[1].windowMs) / 2000;
  // Counters at a are about b: what a sent to b is what b received (the other side's view).
  const perSecond = (pick: (c: MediaCounters) => number) =>
    median(call.counters.map((c) => pick(c) / seconds));
  return {
    route: result.route,
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    growth,
    fps,
    unreadable: call.sides.reduce((sum, side) => sum + side.unreadable, 0),
    audioGap: Math.max(...call.sides.map((side) => side.longestAudioGapMs)),
    width: Math.min(...call.sides.map((side) => side.width)),
    sentWidth: Math.min(...call.counters.map((c) => c.sentVideoWidth)),
    sentFps: perSecond((c) => c.sentVideoFrames),
    arrivedFps: perSecond((c) => c.receivedVideoPackets),
    decodedFps: perSecond((c) => c.decodedVideoFrames),
    videoKbps: perSecond((c) => (c.sentVideoBytes * 8) / 1000),
    fileMibPerSecond,
    routeChanges: Math.max(...call.routeChanges.map((changes) => changes.length)),
  };
}

/** Each figure's median over rounds (the route: the first round's). */
function medianFigures(rounds: readonly [Figures, ...Figures[]]): Figures {
  const result = { ...rounds[0] };
  for (const key of Object.keys(result) as Array<keyof Figures>) {
    if (key !== 'route') result[key] = median(rounds.map((f) => f[key]));
  }
  return result;
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
  const chosen = rows(options).filter((r) => options.only.includes(r.label[1] ?? ''));
  /** Per row, in `chosen`'s order: each round's figures, or why a round has none. */
  const measured = chosen.map((row) => ({ row, rounds: [] as Array<Figures | string> }));
  let room = 0;
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const entry of measured) {
        const { row } = entry;
        const settled = await untilQuiet();
        process.stderr.write(
          `${row.label}${options.rounds > 1 ? `, round ${round}` : ''}… (${settled.quiet ? 'CPUs quiet' : 'CPUs still busy'} after ${(settled.waitedMs / 1000).toFixed(1)} s)\n`,
        );
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
        if (!result.ok) {
          process.stderr.write(`  ${result.why}\n`);
          entry.rounds.push(result.why);
          continue;
        }
        // Each direction on its own: a page whose thread was starved shows here.
        const sides = result.call?.sides ?? [];
        for (const [name, side] of [
          ['b → a', sides[0]],
          ['a → b', sides[1]],
        ] as const) {
          if (!side) continue;
          const p50 = whole(percentile(side.latencies, 50));
          const p95 = whole(percentile(side.latencies, 95));
          const fps = (side.frames / (side.windowMs / 1000)).toFixed(1);
          process.stderr.write(
            `  ${name}: p50 ${p50} p95 ${p95} ms, ${fps} frames/s, audio gap ${whole(side.longestAudioGapMs)} ms\n`,
          );
        }
        for (const [name, changes] of [
          ['a', result.call?.routeChanges[0] ?? []],
          ['b', result.call?.routeChanges[1] ?? []],
        ] as const) {
          if (changes.length > 0) {
            process.stderr.write(`  ${name}'s route changed: ${changes.join(', ')}\n`);
          }
        }
        if (result.file) {
          const { mibPerSecond, error } = result.file;
          process.stderr.write(
            `  file: ${mibPerSecond.toFixed(2)} MiB/s in the window${error ? `; it ended: ${error}` : ''}\n`,
          );
        }
        if (result.errors.length > 0) {
          process.stderr.write(`  SDK errors: ${result.errors.slice(0, 5).join('; ')}\n`);
        }
        entry.rounds.push(figures(result));
      }
    }
  } finally {
    await session.close();
  }
  const summaries = measured.map(({ row, rounds }) => {
    const ok = rounds.filter((r): r is Figures => typeof r !== 'string');
    const [first, ...rest] = ok;
    const failed = rounds.length - ok.length;
    return { row, figures: first ? medianFigures([first, ...rest]) : undefined, rounds, failed };
  });
  const directP95 = summaries.find((s) => s.row.kind === 'direct')?.figures?.p95 ?? Number.NaN;
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
      'width sent/shown',
      'unread',
      'audio gap ms',
      'route changes',
      'targets',
    ],
  ];
  for (const { row, figures: f, rounds, failed } of summaries) {
    if (row.kind === 'file') continue; // no call: in the files' table below
    if (!f) {
      // What stopped it goes last, so the figures' columns stay narrow.
      table.push([row.label, '–', ...Array<string>(11).fill(''), String(rounds[0])]);
      continue;
    }
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
    if (failed > 0) targets.push(`${failed} of ${rounds.length} rounds failed`);
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
      `${f.sentWidth}/${f.width}`,
      `${f.unreadable}`,
      whole(f.audioGap),
      whole(f.routeChanges),
      targets.join(', '),
    ]);
  }
  const notes = [
    `latency: capture (Date.now() drawn into the frame by the sender's camera worker) → rendered (requestVideoFrameCallback on the receiver, stamp read back from a canvas); both directions pooled, ${options.seconds} s window after ${options.warmup} s; each call starts once all CPUs were ≤ 15 % busy for 0.5 s (at most 15 s of waiting; each wait on stderr); ${options.rounds > 1 ? `every figure the median of ${options.rounds} rounds (the ratio: of the medians)` : 'one round'}`,
    "growth: median latency of the window's last quarter minus its first (a growing queue shows here); the larger of the two directions",
    "frames/s: frames rendered per second (median of the two directions); sent/arrived/decoded: video frames per second by the SDK's getStats (WebRTC: arrived counts RTP packets); video kbit/s: sent; width: sent at the window's end / of the rendered video (the smaller side's; relayed video is shown at the size it started with); unread: rendered frames whose stamp was too blurred to read",
    "audio gap: the longest silence in the received audio as played (the sender sends a steady tone; an AudioWorklet on the receiver's received track finds runs of 128-sample blocks with RMS ≤ 0.01, on the audio thread and clock), counted across a change of stream (e.g. relay → direct)",
    "route changes: transport-change events in the window, the page with more (a fall-back to the relay and back is 2); each round's are listed as it runs",
    `(c): tc tbf ${options.kbit} kbit/s on both egresses of both routers, queue ≤ ${options.queueMs} ms, cone NATs; (a), (b): the same bed unshaped, open routing`,
  ];
  process.stdout.write(`${textTable(table, notes)}\n`);
  const sealing = sealingCost(measured);
  if (sealing) process.stdout.write(`\n${sealing}\n`);
  const withFile = summaries.filter((s) => s.row.setup.file);
  if (withFile.length > 0) {
    const alone = withFile.find((s) => s.row.kind === 'file')?.figures?.fileMibPerSecond;
    const files: string[][] = [['file', 'route', 'MiB/s', '× alone']];
    for (const { row, figures: f, rounds } of withFile) {
      const rate = f?.fileMibPerSecond ?? Number.NaN;
      const ratio = alone === undefined ? Number.NaN : rate / alone;
      files.push([
        row.label,
        f?.route ?? String(rounds[0] ?? '–'),
        Number.isFinite(rate) ? rate.toFixed(2) : '–',
        row.kind === 'file' || !Number.isFinite(ratio) ? '' : `${ratio.toFixed(2)}×`,
      ]);
    }
    const fileNotes = [
      `MiB/s: what page a's file moved in the window (bytes the receiver confirmed), ${options.rounds > 1 ? 'median of the rounds' : 'one round'}; sent with peer.sendFile from a Blob (its digest on both sides), accepted into a sink that keeps nothing; the file starts before the warm-up and is cancelled when the call ends`,
    ];
    process.stdout.write(`\n${textTable(files, fileNotes)}\n`);
  }
  process.stdout.write(`load after: ${loadLine()}\n`);
  return 0;
}
