/**
 * Runs the SDK through one cell and measures it: join → first message both ways, the
 * path both sides report, a file both ways, and (where the cell says) a call or UDP dying
 * mid-transfer. Returns what it saw; the test asserts, the benchmark prints.
 */
import type { BytesSummary } from '../../e2e/pages/summary.js';
import type { NetbedPageApi, PathStats, WatchedFile } from '../pages/netbed-api.js';
import type { TileFigures } from '../pages/tile-watch.js';
import type { Cell } from './cells.js';
import { remote } from './remote.js';
import type { Session } from './session.js';

const MiB = 1024 * 1024;
/** The file sent both ways in every cell. */
export const SMALL_FILE_BYTES = 2 * MiB;
/** The file during which UDP dies. */
export const LARGE_FILE_BYTES = 32 * MiB;
/** UDP dies once the receiver has this share of the large file. */
export const DIE_AT = 0.3;

/** One side of a cell. */
export interface SideReport {
  /** ms from the second peer's `joinRoom()` call to the first message arriving here. */
  joinToFirstMessageMs: number;
  /** `peer.transport` once settled on the expected one (or what it was when waiting ended). */
  transport: string | null;
  stats: PathStats;
  /** Every `transport-change`, `transport@ms since this side joined`. */
  changes: string[];
  /** `peer.media` once settled, and every `media-change` (`state reason@ms`). */
  media: { state: string; reason: string | null; route: string | null };
  mediaChanges: string[];
  /** The file this side received, and the one it sent, as each side hashed it. */
  received: BytesSummary;
  sent: BytesSummary;
}

/** What a cell's run saw. */
export interface CellReport {
  a: SideReport;
  b: SideReport;
  /** MiB/s of the small file a → b, from send to verified. */
  fileMiBps: number;
  /** With `throughputBytes`: MiB/s of that file a → b, first byte to verified. */
  throughputMiBps?: number;
  /**
   * With a call: b's stream events and video frames decoded from a (`getStats()`), and what
   * each side's tile of the other played (rendered frames, audio samples).
   */
  call?: { streamEvents: string[]; frames: number; a: TileFigures; b: TileFigures };
  /** With UDP dying mid-call: the path afterwards and b's tile of a from the fault on. */
  callDies?: {
    transport: string | null;
    stats: PathStats;
    changes: string[];
    media: { state: string; reason: string | null; route: string | null };
    /** b's tile from just before the fault: its longest gap in rendered frames. */
    tile: TileFigures;
    /** Frames b's tile rendered once media had settled on the new path (bounded wait). */
    framesAfterSettle: number;
  };
  /** With UDP dying mid-transfer. */
  dies?: {
    file: WatchedFile;
    sent: BytesSummary;
    /** Bytes received when UDP was dropped. */
    droppedAtBytes: number;
    /** MiB/s of the whole large file, first byte to done. */
    MiBps: number;
    transport: string | null;
    stats: PathStats;
    changes: string[];
    media: { state: string; reason: string | null; route: string | null };
    /** A message each way after the fault: ms until it arrived. */
    messageAfterMs: number;
  };
}

/** How long a cell may wait for the expected path (the relay fallback is 5 s today). */
const SETTLE_MS = 20_000;

/** Options of {@link runSdkCell}. */
export interface SdkCellOptions {
  /** Also send a file of this size a → b and time it (the benchmark's MiB/s). @default none */
  throughputBytes?: number;
}

/** Runs `cell` in `session` with the SDK page; `room` must be unique. */
export async function runSdkCell(
  session: Session,
  cell: Cell,
  room: string,
  options: SdkCellOptions = {},
): Promise<CellReport> {
  const pair = await session.openCell(cell, 'netbed');
  try {
    const a = remote<NetbedPageApi>(pair.a, 'peerlaneNetbed', `${cell.id} a`);
    const b = remote<NetbedPageApi>(pair.b, 'peerlaneNetbed', `${cell.id} b`);
    const sdkOptions: Record<string, unknown> = {};
    if (pair.appIceServers) sdkOptions.iceServers = pair.appIceServers;
    // Several direct retries within the call's window: none may bring a stream of its own.
    if (cell.expect.transport === 'relay') sdkOptions.directRetryMs = 2000;
    await a.join(room, sdkOptions, 'hello from a');
    const joinedB = await b.join(room, sdkOptions, 'hello from b');
    const [atA, atB] = await Promise.all([a.nextMessage(10_000), b.nextMessage(10_000)]);
    const idOfB = await a.firstPeer(5000);
    const idOfA = await b.firstPeer(5000);
    const want = cell.expect.transport;
    await Promise.all([
      a.waitForTransport(idOfB, want, SETTLE_MS).catch(() => {}),
      b.waitForTransport(idOfA, want, SETTLE_MS).catch(() => {}),
    ]);
    const started = Date.now();
    const [sentA, receivedB, sentB, receivedA] = await Promise.all([
      a.sendFile(idOfB, SMALL_FILE_BYTES, 1).then((sent) => ({ sent, at: Date.now() })),
      b.receiveFile(30_000),
      b.sendFile(idOfA, SMALL_FILE_BYTES, 2),
      a.receiveFile(30_000),
    ]);
    const side = async (
      api: typeof a,
      peerId: string,
      first: { at: number },
      received: BytesSummary,
      sent: BytesSummary,
    ): Promise<SideReport> => ({
      joinToFirstMessageMs: Math.round(first.at - joinedB.startedAt),
      transport: (await api.peer(peerId)).transport,
      stats: await api.pathStats(peerId),
      changes: await api.transportChanges(),
      // On the relay, media is `connecting` until `relayFallbackMs` gives up on direct;
      // then the relay carries it (WebCodecs).
      media: await api.waitForMedia(peerId, 'available', SETTLE_MS),
      mediaChanges: await api.mediaChanges(),
      received,
      sent,
    });
    const report: CellReport = {
      a: await side(a, idOfB, atA, receivedA, sentA.sent),
      b: await side(b, idOfA, atB, receivedB, sentB),
      fileMiBps: SMALL_FILE_BYTES / MiB / ((sentA.at - started) / 1000),
    };
    if (options.throughputBytes && !cell.udpDiesMidTransfer) {
      const watching = b.watchIncoming(10_000);
      await a.startFile(idOfB, options.throughputBytes, 4);
      await watching;
      const [file, sent] = await Promise.all([b.watchedDone(0, 120_000), a.fileDone(120_000)]);
      if (file.sha256 !== sent.sha256) throw new Error('the throughput file arrived corrupted');
      report.throughputMiBps = file.byteLength / MiB / ((file.doneAt - file.firstByteAt) / 1000);
    }
    if (cell.call) {
      await Promise.all([a.publishCamera(), b.publishCamera()]);
      const deadline = Date.now() + 15_000;
      // Until both tiles render frames and get audio samples, through WebRTC or (relayed,
      // WebCodecs) through the relay.
      let tiles = await Promise.all([a.tile(idOfB), b.tile(idOfA)]);
      while (Date.now() < deadline && !tiles.every((t) => t.frames > 0 && t.audioSamples > 0)) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        tiles = await Promise.all([a.tile(idOfB), b.tile(idOfA)]);
      }
      report.call = {
        streamEvents: await b.streamEvents(),
        frames: await b.framesFrom(idOfA).catch(() => 0),
        a: tiles[0],
        b: tiles[1],
      };
    }
    if (cell.udpDiesMidCall) report.callDies = await dieMidCall(session, b, idOfA, cell);
    if (cell.udpDiesMidTransfer)
      report.dies = await dieMidTransfer(session, a, b, idOfA, idOfB, cell);
    return report;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${session.logs()}`, { cause: error });
  } finally {
    await pair.close();
  }
}

/** How long the call is watched once frames render again after UDP died. */
const AFTER_SETTLE_MS = 3000;
/** How long the tile may wait for its first frame once media settled on the new path. */
const RESUME_MS = 15_000;

async function dieMidCall(
  session: Session,
  b: ReturnType<typeof remote<NetbedPageApi>>,
  idOfA: string,
  cell: Cell,
): Promise<NonNullable<CellReport['callDies']>> {
  const after = cell.udpDiesMidCall;
  if (!after) throw new Error(`${cell.id} has no mid-call fault`);
  // The call runs a while on the direct path, then UDP dies at both routers.
  await b.resetTile(idOfA);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await session.bed.dropUdp();
  await b.waitForTransport(idOfA, after.transport, SETTLE_MS).catch(() => {});
  // ICE restarts for a while after the fault (`connecting`); then media must settle on
  // the route the path names (WebRTC for TURN, else the relay).
  const route = after.transport === 'relay' ? 'relay' : 'direct';
  const deadline = Date.now() + SETTLE_MS;
  let media = await b.media(idOfA);
  while (Date.now() < deadline && (media.state !== 'available' || media.route !== route)) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    media = await b.media(idOfA);
  }
  // Then the tile must render again (WebRTC over a new path may take seconds to send video
  // again: bounded), and keep rendering for a while.
  const settled = (await b.tile(idOfA)).frames;
  const resumeBy = Date.now() + RESUME_MS;
  while (Date.now() < resumeBy && (await b.tile(idOfA)).frames === settled) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await new Promise((resolve) => setTimeout(resolve, AFTER_SETTLE_MS));
  const tile = await b.tile(idOfA);
  return {
    transport: (await b.peer(idOfA)).transport,
    stats: await b.pathStats(idOfA),
    changes: await b.transportChanges(),
    media,
    tile,
    framesAfterSettle: tile.frames - settled,
  };
}

async function dieMidTransfer(
  session: Session,
  a: ReturnType<typeof remote<NetbedPageApi>>,
  b: ReturnType<typeof remote<NetbedPageApi>>,
  idOfA: string,
  idOfB: string,
  cell: Cell,
): Promise<NonNullable<CellReport['dies']>> {
  const after = cell.udpDiesMidTransfer;
  if (!after) throw new Error(`${cell.id} has no mid-transfer fault`);
  const watching = b.watchIncoming(10_000);
  await a.startFile(idOfB, LARGE_FILE_BYTES, 3);
  await watching;
  const deadline = Date.now() + 60_000;
  let got = await b.watchedBytes();
  while (got < DIE_AT * LARGE_FILE_BYTES) {
    if (Date.now() > deadline) throw new Error(`only ${got} bytes of the large file within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    got = await b.watchedBytes();
  }
  await session.bed.dropUdp();
  const droppedAt = await b.now();
  const [file, sent] = await Promise.all([b.watchedDone(droppedAt, 90_000), a.fileDone(90_000)]);
  await b.waitForTransport(idOfA, after.transport, SETTLE_MS).catch(() => {});
  const before = await b.now();
  await a.send(idOfB, 'after the fault from a');
  await b.send(idOfA, 'after the fault from b');
  const [late] = await Promise.all([b.nextMessage(15_000), a.nextMessage(15_000)]);
  return {
    file,
    sent,
    droppedAtBytes: got,
    MiBps: LARGE_FILE_BYTES / MiB / ((file.doneAt - file.firstByteAt) / 1000),
    transport: (await b.peer(idOfA)).transport,
    stats: await b.pathStats(idOfA),
    changes: await b.transportChanges(),
    // ICE restarts for a while after the fault (`connecting`); then media must settle.
    media: await b.waitForMedia(
      idOfA,
      after.transport === 'relay' ? 'unavailable' : 'available',
      SETTLE_MS,
    ),
    messageAfterMs: Math.round(late.at - before),
  };
}
