/**
 * The baseline of `npm run bench connectivity`: raw simple-peer in a cell, with the ICE
 * servers the SDK gets there. It has no relay and no reconnect, so where WebRTC finds no
 * path it never connects, and when UDP dies it never resumes.
 */
import type { SimplePeerPageApi } from '../pages/simple-peer-api.js';
import type { Cell } from './cells.js';
import { remote } from './remote.js';
import { DIE_AT, LARGE_FILE_BYTES } from './sdk-cell.js';
import type { Session } from './session.js';

const MiB = 1024 * 1024;
/** How long the baseline may take to connect before the cell counts as "no connection". */
export const BASELINE_CONNECT_MS = 20_000;
/** How long the baseline gets to finish once UDP died. */
const RESUME_WAIT_MS = 20_000;

/** What the baseline did in a cell; `undefined` figures: it never connected. */
export interface BaselineReport {
  /** ms from the second peer's join to the first message, per side; undefined: no connection. */
  joinToFirstMessageMs: [number, number] | undefined;
  /** The local candidate of the selected pair on a (`host`, `srflx`, `relay/udp`…). */
  path: string | undefined;
  /** MiB/s of `throughputBytes` a → b, first byte to last. */
  MiBps: number | undefined;
  /** With UDP dying: the longest gap after the fault, and whether the bytes all arrived. */
  dies?: { longestStallMs: number; completed: boolean };
}

/** Runs the baseline in `cell`: join, greet, `throughputBytes` a → b, and the fault if any. */
export async function runBaselineCell(
  session: Session,
  cell: Cell,
  room: string,
  throughputBytes: number,
): Promise<BaselineReport> {
  const pair = await session.openCell(cell, 'simple-peer');
  try {
    const a = remote<SimplePeerPageApi>(pair.a, 'simplePeerNetbed', `${cell.id} simple-peer a`);
    const b = remote<SimplePeerPageApi>(pair.b, 'simplePeerNetbed', `${cell.id} simple-peer b`);
    const iceServers = pair.appIceServers ?? null;
    await a.join(room, iceServers, 'hello from a');
    const joinedB = await b.join(room, iceServers, 'hello from b');
    const arrivals = await Promise.all([
      a.nextMessage(BASELINE_CONNECT_MS),
      b.nextMessage(BASELINE_CONNECT_MS),
    ]).catch(() => undefined);
    if (!arrivals) return { joinToFirstMessageMs: undefined, path: undefined, MiBps: undefined };
    const [atA, atB] = arrivals;
    const idOfB = await a.firstConnected(1000);
    const report: BaselineReport = {
      joinToFirstMessageMs: [
        Math.round(atA.at - joinedB.startedAt),
        Math.round(atB.at - joinedB.startedAt),
      ],
      path: await a.pairType(idOfB),
      MiBps: undefined,
    };
    const bytes = cell.udpDiesMidTransfer ? LARGE_FILE_BYTES : throughputBytes;
    await a.startBytes(idOfB, bytes);
    if (cell.udpDiesMidTransfer) {
      const deadline = Date.now() + 60_000;
      while ((await b.receivedBytes()) < DIE_AT * bytes && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await session.bed.dropUdp();
      const since = await b.now();
      const done = await b.bytesDone(bytes, since, RESUME_WAIT_MS);
      report.dies = { longestStallMs: done.longestStallMs, completed: done.doneAt !== null };
      if (done.doneAt !== null) {
        report.MiBps = bytes / MiB / ((done.doneAt - done.firstByteAt) / 1000);
      }
    } else {
      const done = await b.bytesDone(bytes, 0, 60_000);
      if (done.doneAt !== null) {
        report.MiBps = bytes / MiB / ((done.doneAt - done.firstByteAt) / 1000);
      }
    }
    return report;
  } finally {
    await pair.close();
  }
}
