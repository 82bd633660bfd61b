/**
 * `npm run bench e2ee-media [-- --frames 300]`: the latency that end-to-end encryption
 * adds to each relayed media frame, in Chromium: the SDK's own sealed media
 * (`sdk/e2ee/sealed-media.ts`, bundled for the page) between two sealed routes in one page,
 * the relay replaced by a direct hand-over — so the figure is sealing + opening alone,
 * queue hops included, with no network. Per size (an Opus packet ~100 B, VP8 frames
 * 5–30 KB): frames one at a time (each sent once the one before arrived), then a call's
 * stream (30 fps video of 15 KB plus 50 packets/s of audio, side by side, 3 s). Printed,
 * never asserted; the target is ≤ +5 ms.
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { median } from '../shared/median.js';
import { machine, thisPeerlane, utcMinute } from '../shared/run-info.js';
import { inSecurePage } from '../shared/secure-page.js';
import { textTable } from '../shared/text-table.js';

const ENTRY = fileURLToPath(new URL('./entry.ts', import.meta.url));
const SIZES = [100, 5_000, 15_000, 30_000];

/** The sealed-media code as one script that sets `window.SealBench`. */
async function bundle(): Promise<string> {
  const { build } = await import('vite');
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: false,
      lib: { entry: ENTRY, formats: ['iife'], name: 'SealBench', fileName: 'seal-bench' },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as Array<{
    output?: Array<{ code?: string }>;
  }>;
  const code = outputs[0]?.output?.[0]?.code;
  if (!code) throw new Error('bundling sdk/e2ee for the page gave no code');
  return code;
}

/** Runs in the page: per-frame delays (ms) from sendMedia to the peer's opened frame. */
async function inPage(page: Page, frames: number) {
  return page.evaluate(
    async ({ sizes, frames }) => {
      type Bench = {
        RoomKeys: { derive(secret: string, room: string): Promise<unknown> };
        sealRoute(...args: unknown[]): {
          mediaRoute: {
            media: { frame(b: Uint8Array): void; invalid(r: string): void } | undefined;
            sendMedia(frame: Uint8Array): boolean;
          };
        };
      };
      const { RoomKeys, sealRoute } = (window as unknown as { SealBench: Bench }).SealBench;
      const lane = () => ({
        on() {},
        off() {},
        open: true,
        bufferedAmount: 0,
        maxFrameBytes: 65_000,
        send() {},
        awaitDrain() {},
      });
      // Two relay routes joined back to back: what one sends, the other gets at once.
      const routes = [0, 1].map(() => ({
        message: lane(),
        bulk: lane(),
        media: undefined as { frame(b: Uint8Array): void } | undefined,
        mediaAllowed: true,
        pieceBytes: 65_000,
        mediaRoom: { credit: 1e9, window: 1e9, socketBuffered: 0, open: true },
        sendMedia(frame: Uint8Array): boolean {
          const other = routes[this === routes[0] ? 1 : 0];
          other?.media?.frame(frame);
          return true;
        },
      }));
      const secret = 'a benchmark room secret';
      const problems = { onMismatch() {}, onInvalid() {} };
      const [keysA, keysB] = [
        await RoomKeys.derive(secret, 'r'),
        await RoomKeys.derive(secret, 'r'),
      ];
      const alice = sealRoute(routes[0], keysA, 'alice', 'bob', problems).mediaRoute;
      const bob = sealRoute(routes[1], keysB, 'bob', 'alice', problems).mediaRoute;
      const sentAt = new Map<number, number>();
      const delays = new Map<number, number[]>();
      let arrived: (() => void) | undefined;
      bob.media = {
        frame(bytes) {
          const id = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
          const at = sentAt.get(id);
          if (at !== undefined) {
            const size = bytes.byteLength;
            delays.set(size, [...(delays.get(size) ?? []), performance.now() - at]);
          }
          arrived?.();
        },
        invalid(reason) {
          throw new Error(reason);
        },
      };
      let next = 0;
      const send = (size: number) => {
        const frame = crypto.getRandomValues(new Uint8Array(size)); // ≤ 64 KiB per call
        new DataView(frame.buffer).setUint32(0, next);
        sentAt.set(next, performance.now());
        next += 1;
        alice.sendMedia(frame);
      };
      // One at a time (after a warm-up of 20 per size).
      const single: Record<number, number[]> = {};
      for (const size of sizes) {
        for (let i = 0; i < frames + 20; i += 1) {
          const got = new Promise<void>((resolve) => {
            arrived = resolve;
          });
          send(size);
          await got;
        }
        single[size] = (delays.get(size) ?? []).slice(20);
        delays.clear();
      }
      // A call: 30 fps of 15 KB video and 50 packets/s of 100 B audio, for 3 s.
      arrived = undefined;
      const stop = performance.now() + 3000;
      await new Promise<void>((done) => {
        const video = setInterval(() => send(15_001), 1000 / 30);
        const audio = setInterval(() => send(101), 20);
        const end = setInterval(() => {
          if (performance.now() < stop) return;
          clearInterval(video);
          clearInterval(audio);
          clearInterval(end);
          setTimeout(done, 200);
        }, 50);
      });
      return { single, call: { video: delays.get(15_001) ?? [], audio: delays.get(101) ?? [] } };
    },
    { sizes: SIZES, frames },
  );
}

const quantile = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const ms = (value: number) => value.toFixed(2);

/** The benchmark's entry (see the file's comment). */
export async function runE2eeMediaBenchmark(argv: readonly string[]): Promise<number> {
  let frames = 300;
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, value] = (argv[i] ?? '').split('=', 2);
    if (flag === '--frames') {
      frames = Number(value ?? argv[++i]);
      if (!Number.isInteger(frames) || frames < 10 || frames > 10_000)
        throw new Error('--frames needs an integer from 10 to 10000');
    } else throw new Error(`unknown flag ${argv[i]} (flags: --frames N)`);
  }
  const code = await bundle();
  const loadBefore = loadavg()[0] ?? Number.NaN;
  await inSecurePage(async (page, browser) => {
    await page.addScriptTag({ content: code });
    const { single, call } = await inPage(page, frames);
    const loadAfter = loadavg()[0] ?? Number.NaN;
    const row = (label: string, values: readonly number[]) => [
      label,
      String(values.length),
      ms(median(values)),
      ms(quantile(values, 0.95)),
      ms(Math.max(...values)),
    ];
    const table = [
      ['relayed media frame', 'frames', 'median ms', 'p95 ms', 'max ms'],
      ...SIZES.map((size) =>
        row(`${size} B, one at a time${size === 100 ? ' (Opus)' : ' (VP8)'}`, single[size] ?? []),
      ),
      row('15 KB video in a call (30 fps + audio)', call.video),
      row('100 B audio in a call (50/s + video)', call.audio),
    ];
    const version = browser.version();
    process.stdout.write(
      [
        `Peerlane e2ee media benchmark: time sealing + opening adds to a relayed media frame, ${utcMinute()}`,
        `${machine()}; Chromium ${version} headless; load average ${loadBefore.toFixed(2)} before / ${loadAfter.toFixed(2)} after`,
        thisPeerlane(),
        'SealedMedia (sdk/e2ee/sealed-media.ts) both ways in one page, the relay replaced by a direct hand-over: no network, only the crypto and its queues',
        "the page's clock (performance.now) has 0.1 ms steps: a median of 0.00 means under 0.1 ms",
        '',
        textTable(table),
        '',
        'target (issue #14): ≤ +5 ms per frame',
        '',
      ].join('\n'),
    );
  });
  return 0;
}
