/**
 * Where a page's main thread spends its time during a benchmark: V8's sampling profiler
 * through the Chrome DevTools Protocol, summed by function (self time), named by the
 * bundles' source maps (the SDK's bundle is minified). The raw profile can be saved as a
 * `.cpuprofile` and opened in Chromium's DevTools (Performance panel).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';
import type { Page as PlaywrightPage } from 'playwright-core';
import type { Page as PuppeteerPage } from 'puppeteer-core';
import type { CpuByProcess } from './process-cpu.js';

/** Where the benchmarks' `--profile` saves the pages' profiles. */
export const PROFILE_DIR = 'test-results/profiles';

/** A V8 CPU profile (`Profiler.stop`'s result), the fields read here. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }>;
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** One function's self time in a profile. */
interface ProfileRow {
  /** `name (file:line)`; V8's own entries as it names them: `(garbage collector)`, `(program)`. */
  where: string;
  selfMs: number;
}

/** A profile summed up: busy time (all but idle), and the functions that took most of it. */
interface ProfileSummary {
  /** The profile's length. */
  spanMs: number;
  /** Time the thread was not idle. */
  busyMs: number;
  /** The functions with the most self time, most first. */
  top: ProfileRow[];
}

/** A Chromium page driven by Playwright or by Puppeteer (`launchUnwatchedChromium`). */
export type ProfiledPage = PlaywrightPage | PuppeteerPage;

/** The part of a DevTools session of either driver that profiling uses. */
interface CdpSession {
  send(method: string, params?: object): Promise<unknown>;
  detach(): Promise<void>;
}

/** A DevTools session to `page`, opened the way its driver opens one. */
async function cdpSession(page: ProfiledPage): Promise<CdpSession> {
  if ('createCDPSession' in page) return (await page.createCDPSession()) as unknown as CdpSession;
  return (await page.context().newCDPSession(page)) as unknown as CdpSession;
}

/**
 * Starts V8's sampling profiler in `page` (every `intervalUs` µs, default 200); the
 * function it returns stops it and resolves with the profile.
 */
export async function startProfile(
  page: ProfiledPage,
  intervalUs = 200,
): Promise<() => Promise<CpuProfile>> {
  const session = await cdpSession(page);
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.send('Profiler.start');
  return async () => {
    const { profile } = (await session.send('Profiler.stop')) as { profile: CpuProfile };
    await session.detach();
    return profile;
  };
}

/**
 * Names a script position by its source map (`<script url>.map`, fetched once per script):
 * `name (source file:line)`; undefined where there is no map or it does not say.
 */
type Namer = (url: string, line: number, column: number) => string | undefined;

/** A {@link Namer} for the scripts of `profiles`, their maps fetched over HTTP. */
async function sourceMapNamer(...profiles: CpuProfile[]): Promise<Namer> {
  const maps = new Map<string, TraceMap | undefined>();
  for (const profile of profiles) {
    for (const { callFrame } of profile.nodes) {
      const { url } = callFrame;
      if (!url.startsWith('http') || maps.has(url)) continue;
      maps.set(url, undefined);
      try {
        const response = await fetch(`${url}.map`);
        if (response.ok) maps.set(url, new TraceMap((await response.text()) as string));
      } catch {
        // no map: the bundle's own names
      }
    }
  }
  return (url, line, column) => {
    const map = maps.get(url);
    if (!map) return undefined;
    const found = originalPositionFor(map, { line: line + 1, column });
    if (!found.source) return undefined;
    const file = found.source.slice(found.source.lastIndexOf('/') + 1);
    return `${found.name ?? '?'} (${file}:${found.line})`;
  };
}

/** The `count` functions of `profile` with the most self time, and its busy time. */
function summarize(profile: CpuProfile, count = 10, name?: Namer): ProfileSummary {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let busyUs = 0;
  // A sample's time is the delta to the next one (V8's convention: deltas[i + 1]).
  for (let i = 0; i < samples.length; i++) {
    const node = byNode.get(samples[i] as number);
    const us = deltas[i + 1] ?? 0;
    if (!node) continue;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busyUs += us;
    const file = url.slice(url.lastIndexOf('/') + 1);
    const where =
      name?.(url, lineNumber, columnNumber) ??
      (file
        ? `${functionName || '(anonymous)'} (${file}:${lineNumber + 1})`
        : functionName || '(anonymous)');
    selfUs.set(where, (selfUs.get(where) ?? 0) + us);
  }
  const top = [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([where, us]) => ({ where, selfMs: us / 1000 }));
  return { spanMs: (profile.endTime - profile.startTime) / 1000, busyMs: busyUs / 1000, top };
}

/** Writes `profile` to `path` (a `.cpuprofile` DevTools opens). */
function saveProfile(profile: CpuProfile, path: string): void {
  writeFileSync(path, JSON.stringify(profile));
}

/** `summary` as indented lines: busy time, then each function's self time and share of it. */
function profileLines(label: string, summary: ProfileSummary): string[] {
  const { spanMs, busyMs, top } = summary;
  return [
    `${label}: main thread busy ${busyMs.toFixed(0)} of ${spanMs.toFixed(0)} ms (${((100 * busyMs) / spanMs).toFixed(0)} %)`,
    ...top.map(
      ({ where, selfMs }) =>
        `  ${selfMs.toFixed(0).padStart(6)} ms ${((100 * selfMs) / busyMs).toFixed(1).padStart(5)} %  ${where}`,
    ),
  ];
}

/** One measured transfer of a benchmark contender; `profiles` when it was profiled. */
export interface ProfiledRun {
  mibps: number;
  /** CPU seconds by process during the transfer; undefined where /proc cannot tell. */
  cpu: CpuByProcess | undefined;
  /** The sending and the receiving page's main thread, when profiled. */
  profiles: { sender: CpuProfile; receiver: CpuProfile } | undefined;
}

/**
 * The `--profile` report of benchmark `bench`, from each contender's runs (label, runs):
 * for the last one, if it was profiled, CPU seconds by process and each page's busiest
 * functions (named by the pages' source maps, so call it while their server is up); the
 * profiles are saved in {@link PROFILE_DIR}.
 */
export async function profileReport(
  bench: string,
  contenders: ReadonlyArray<readonly [label: string, runs: readonly ProfiledRun[]]>,
): Promise<string[]> {
  mkdirSync(PROFILE_DIR, { recursive: true });
  const lines = [`profiles (last round; saved in ${PROFILE_DIR}):`];
  for (const [label, runs] of contenders) {
    const last = runs.at(-1);
    if (!last?.profiles) continue;
    const { mibps, cpu, profiles } = last;
    const byProcess = [...(cpu ?? [])].sort((x, y) => y[1] - x[1]);
    lines.push(
      '',
      `${label}: ${mibps.toFixed(1)} MiB/s; CPU s by process: ${byProcess.map(([p, s]) => `${p} ${s.toFixed(2)}`).join(', ')}`,
    );
    const name = await sourceMapNamer(profiles.sender, profiles.receiver);
    for (const side of ['sender', 'receiver'] as const) {
      saveProfile(
        profiles[side],
        `${PROFILE_DIR}/${bench}-${label.replace(/ /g, '-')}-${side}.cpuprofile`,
      );
      lines.push(...profileLines(side, summarize(profiles[side], 12, name)));
    }
  }
  return lines;
}
