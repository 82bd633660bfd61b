/**
 * `npm run bench connectivity [-- --cells lan,cone-stun --mib 16]`: every cell of the
 * network-namespace test bed (`test/netbed/cells/cells.ts`), once with the Peerlane SDK
 * and once with raw simple-peer given the same ICE servers (the baseline; it has no relay
 * and no reconnect, so it prints "no connection" where WebRTC finds no path). Per cell:
 * join → first message (both directions), the path, file MiB/s (`--mib` MiB a → b), and
 * the longest stall when UDP dies mid-transfer. Needs root (network namespaces). Printed,
 * never asserted: the assertions are in `test/netbed/connectivity.netbed.test.ts`.
 */
import { CELLS } from '../../netbed/cells/cells.js';
import { type CellReport, runSdkCell } from '../../netbed/cells/sdk-cell.js';
import { startSession } from '../../netbed/cells/session.js';
import { type BaselineReport, runBaselineCell } from '../../netbed/cells/simple-peer-cell.js';
import { netbedUnavailable } from '../../netbed/topology/support.js';
import {
  chromiumVersion,
  loadLine,
  machine,
  packageVersion,
  thisPeerlane,
  utcMinute,
} from '../shared/run-info.js';
import { textTable } from '../shared/text-table.js';

const MiB = 1024 * 1024;

interface Options {
  cells: string[];
  mib: number;
}

function parse(argv: readonly string[]): Options {
  const options: Options = { cells: CELLS.map((c) => c.id), mib: 16 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--cells' && value) {
      options.cells = value.split(',');
      const unknown = options.cells.filter((id) => !CELLS.some((c) => c.id === id));
      if (unknown.length > 0) throw new Error(`unknown cells: ${unknown.join(', ')}`);
      i++;
    } else if (flag === '--mib' && value && Number(value) > 0) {
      options.mib = Number(value);
      i++;
    } else throw new Error(`unknown flag ${flag}; flags: --cells id,id… --mib N`);
  }
  return options;
}

const ms = (value: number | undefined) => (value === undefined ? '–' : `${value}`);

/** #12's targets: join → first message and the longest stall when UDP dies. */
const TARGET = { firstMessageMs: 500, stallMs: 3000 };

/** `value`, marked against its target: `✓` within, `✗` over. */
const against = (value: number, target: number) => `${value} ${value <= target ? '✓' : '✗'}`;
const rate = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(1));

function sdkColumns(report: CellReport | Error): string[] {
  if (report instanceof Error) return ['error', '', '', ''];
  const first = [report.a, report.b]
    .map((side) => against(side.joinToFirstMessageMs, TARGET.firstMessageMs))
    .join(' / ');
  const path = (transport: string | null, stats: CellReport['a']['stats']) =>
    transport === 'relay'
      ? 'relay'
      : `${transport} (${stats.pairType}${stats.relayProtocol ? `/${stats.relayProtocol}` : ''})`;
  const dies = report.dies;
  return [
    first,
    dies
      ? `${path(report.a.transport, report.a.stats)} → ${path(dies.transport, dies.stats)}`
      : path(report.a.transport, report.a.stats),
    rate(dies ? dies.MiBps : report.throughputMiBps),
    dies ? against(dies.file.longestStallMs, TARGET.stallMs) : '',
  ];
}

function baselineColumns(report: BaselineReport | Error): string[] {
  if (report instanceof Error) return ['error', '', '', ''];
  if (!report.joinToFirstMessageMs) return ['no connection', '', '', ''];
  const [a, b] = report.joinToFirstMessageMs;
  return [
    `${a} / ${b}`,
    report.path ?? '–',
    rate(report.MiBps),
    report.dies
      ? report.dies.completed
        ? ms(report.dies.longestStallMs)
        : `never resumed (${(report.dies.longestStallMs / 1000).toFixed(0)} s+)`
      : '',
  ];
}

export async function runConnectivityBenchmark(argv: readonly string[]): Promise<number> {
  const options = parse(argv);
  const unavailable = await netbedUnavailable();
  if (unavailable) {
    process.stderr.write(`bench connectivity: cannot build the test bed: ${unavailable}\n`);
    return 1;
  }
  const header = [
    `npm run bench connectivity -- --mib ${options.mib}: ${utcMinute()}`,
    `${machine()}; ${thisPeerlane()}; Chromium ${chromiumVersion()}; simple-peer ${packageVersion('simple-peer')}`,
    `load before: ${loadLine()}`,
  ];
  process.stdout.write(`${header.join('\n')}\n`);
  const session = await startSession();
  const rows: string[][] = [];
  let room = 0;
  try {
    for (const id of options.cells) {
      const cell = CELLS.find((c) => c.id === id);
      if (!cell) continue;
      process.stderr.write(`${cell.id}…\n`);
      const sdk = await runSdkCell(session, cell, `bench-${process.pid}-${++room}`, {
        throughputBytes: options.mib * MiB,
      }).catch((error: unknown) => error as Error);
      if (sdk instanceof Error) process.stderr.write(`  SDK: ${sdk.message.split('\n')[0]}\n`);
      const baseline = await runBaselineCell(
        session,
        cell,
        `bench-${process.pid}-${++room}`,
        options.mib * MiB,
      ).catch((error: unknown) => error as Error);
      if (baseline instanceof Error) {
        process.stderr.write(`  simple-peer: ${baseline.message.split('\n')[0]}\n`);
      }
      rows.push([cell.id, ...sdkColumns(sdk), ...baselineColumns(baseline)]);
    }
  } finally {
    await session.close();
  }
  const table = textTable(
    [
      [
        'cell',
        'SDK first msg ms a/b',
        'SDK path',
        'SDK MiB/s',
        'SDK stall ms',
        'simple-peer first msg ms a/b',
        'simple-peer path',
        'MiB/s',
        'stall ms',
      ],
      ...rows,
    ],
    [
      `first msg: from the second peer's joinRoom() to the first message arriving, at a / at b (target ≤ ${TARGET.firstMessageMs}: ✓ within, ✗ over)`,
      `MiB/s: ${options.mib} MiB a → b, first byte to last; in the UDP-dies cells the 32 MiB file across the fault`,
      `stall: the longest time with no new byte once UDP is dropped at both NATs at 30 % (target ≤ ${TARGET.stallMs})`,
    ],
  );
  process.stdout.write(`${table}\nload after: ${loadLine()}\n`);
  return 0;
}
