/**
 * One bed with everything running on it: coturn and two Peerlane servers (one issuing
 * coturn credentials, one without TURN) on the server host, one Chromium per client
 * namespace. Cells switch the routers' policy and open fresh pages.
 */
import type { Page } from 'playwright-core';
import { ensureSdkBundle } from '../../e2e/harness/sdk-bundle.js';
import { CONTEXT_OPTIONS } from '../../e2e/harness/test-page.js';
import { launchInNamespace, type NamespacedChromium } from '../hosts/chromium-in-namespace.js';
import { buildPageSite, type PageSite, type SitePage } from '../hosts/page-site.js';
import {
  type Coturn,
  type PeerlaneHost,
  startCoturn,
  startPeerlane,
  TURN_PORT,
} from '../hosts/server-host.js';
import { ensureSimplePeerBundle } from '../hosts/simple-peer-bundle.js';
import { ADDRESSES, type Bed, buildBed } from '../topology/bed.js';
import type { Cell } from './cells.js';

/** Ports of the two Peerlane servers inside the server namespace. */
const PORTS = { turn: 8080, plain: 8081 } as const;

/** Both clients' pages of one cell. */
export interface PagePair {
  a: Page;
  b: Page;
  /** The server the pages came from. */
  server: PeerlaneHost;
  /** The app's own `iceServers` option for this cell, if it passes one. */
  appIceServers: RTCIceServer[] | undefined;
  close(): Promise<void>;
}

/** A running bed. */
export interface Session {
  readonly bed: Bed;
  readonly servers: Record<Cell['server'], PeerlaneHost>;
  /** coturn's shared secret (for ICE servers built by hand). */
  readonly turnSecret: string;
  /** Sets the routers for `cell` and opens `kind` pages for it in both clients. */
  openCell(cell: Cell, kind: SitePage): Promise<PagePair>;
  /** Logs of coturn and both servers, for a failed test. */
  logs(): string;
  /** Stops everything and removes the bed. Never throws. */
  close(): Promise<void>;
}

/** Builds the bed and starts its hosts; on failure everything started is removed again. */
export async function startSession(): Promise<Session> {
  await Promise.all([ensureSdkBundle(), ensureSimplePeerBundle()]);
  const bed = await buildBed();
  const closers: Array<() => unknown> = [() => bed.remove()];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) {
      try {
        await closer();
      } catch {
        // Keep closing the rest.
      }
    }
  };
  try {
    const site: PageSite = await buildPageSite();
    closers.push(() => site.remove());
    const coturn: Coturn = await startCoturn(bed.ns.server, ADDRESSES.server);
    closers.push(() => coturn.stop());
    const turnUrls = ['udp', 'tcp'].map(
      (transport) => `turn:${ADDRESSES.server}:${TURN_PORT}?transport=${transport}`,
    );
    const [turn, plain] = await Promise.all([
      startPeerlane(bed.ns.server, {
        address: ADDRESSES.server,
        port: PORTS.turn,
        siteDir: site.dir,
        turn: { urls: turnUrls, secret: coturn.secret },
      }),
      startPeerlane(bed.ns.server, {
        address: ADDRESSES.server,
        port: PORTS.plain,
        siteDir: site.dir,
      }),
    ]);
    closers.push(
      () => turn.stop(),
      () => plain.stop(),
    );
    const origins = [turn.origin, plain.origin];
    const browsers: NamespacedChromium[] = await Promise.all([
      launchInNamespace(bed.ns.clientA, origins),
      launchInNamespace(bed.ns.clientB, origins),
    ]);
    for (const browser of browsers) closers.push(() => browser.close());
    const [browserA, browserB] = browsers as [NamespacedChromium, NamespacedChromium];
    const servers = { turn, plain };
    return {
      bed,
      servers,
      turnSecret: coturn.secret,
      async openCell(cell, kind) {
        const server = servers[cell.server];
        const { port } = new URL(server.origin);
        await bed.setPolicy({
          ...cell.policy,
          ...(cell.onlySignaling && {
            onlyTcpTo: { address: ADDRESSES.server, port: Number(port) },
          }),
        });
        const contexts = await Promise.all([
          browserA.browser.newContext(CONTEXT_OPTIONS),
          browserB.browser.newContext(CONTEXT_OPTIONS),
        ]);
        const closeAll = () =>
          Promise.all(contexts.map((c) => c.close().catch(() => {}))).then(() => {});
        try {
          const [a, b] = await Promise.all(
            contexts.map((c) => openSitePage(c.newPage(), server, kind)),
          );
          return {
            a: a as Page,
            b: b as Page,
            server,
            appIceServers: cell.appStun
              ? [{ urls: `stun:${ADDRESSES.server}:${TURN_PORT}` }]
              : undefined,
            close: closeAll,
          };
        } catch (error) {
          await closeAll();
          throw error;
        }
      },
      logs: () =>
        [
          `coturn:\n${coturn.log()}`,
          `peerlane (turn):\n${turn.log()}`,
          `peerlane (plain):\n${plain.log()}`,
        ].join('\n'),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

const GLOBALS: Record<SitePage, string> = {
  netbed: 'peerlaneNetbed',
  'simple-peer': 'simplePeerNetbed',
  'media-bench': 'peerlaneMediaBench',
};

async function openSitePage(
  opening: Promise<Page>,
  server: PeerlaneHost,
  kind: SitePage,
): Promise<Page> {
  const page = await opening;
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.origin}/${kind}.html`, { timeout: 15_000, waitUntil: 'commit' });
  const name = GLOBALS[kind];
  await page
    .waitForFunction((global) => global in window, name, { timeout: 15_000 })
    .catch((error: unknown) => {
      throw new Error(
        `the ${kind} page did not load from ${server.origin}: ${errors.join('; ') || String(error)}`,
      );
    });
  return page;
}
