/**
 * Chromium inside a client namespace: playwright-core launches a two-line wrapper script
 * (`exec ip netns exec NS chromium "$@"`) as its `executablePath`, so the browser and all
 * its WebRTC sockets live behind that client's NAT router. Playwright talks to it over
 * the pipe it inherits, which crosses namespaces untouched.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../../e2e/harness/chromium.js';

/** A Chromium running in a namespace; `close()` also deletes its wrapper. */
export interface NamespacedChromium {
  readonly browser: Browser;
  close(): Promise<void>;
}

/**
 * The harness's flags ({@link CHROMIUM_ARGS}) with the pages' origins treated as secure
 * (plain http from another host: else no getUserMedia, no crypto.subtle), their addresses
 * let through the host-resolver rules (else `MAP * ~NOTFOUND` blocks the IP literal too),
 * and no loopback candidates: a user's browser offers none, and here they would only add
 * pairs that cannot work (each client has a loopback of its own).
 */
export function namespacedArgs(origins: readonly string[]): string[] {
  const addresses = origins.map((origin) => new URL(origin).hostname);
  const args = CHROMIUM_ARGS.filter((arg) => arg !== '--allow-loopback-in-peer-connection').map(
    (arg) =>
      arg.startsWith('--host-resolver-rules=')
        ? `${arg}${addresses.map((a) => ` , EXCLUDE ${a}`).join('')}`
        : arg,
  );
  // `--disable-features` stays last (Chromium keeps only the last one).
  const last = args.findIndex((arg) => arg.startsWith('--disable-features='));
  args.splice(last, 0, `--unsafely-treat-insecure-origin-as-secure=${origins.join(',')}`);
  return args;
}

/** Launches headless Chromium in namespace `ns`, allowed to treat `origins` as secure. */
export async function launchInNamespace(
  ns: string,
  origins: readonly string[],
): Promise<NamespacedChromium> {
  const dir = await mkdtemp(join(tmpdir(), 'peerlane-netbed-chromium-'));
  const wrapper = join(dir, 'chromium');
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${chromiumPath()} "$@"\n`);
  await chmod(wrapper, 0o755);
  try {
    const browser = await chromium.launch({
      executablePath: wrapper,
      headless: true,
      args: namespacedArgs(origins),
      timeout: 30_000,
    });
    return {
      browser,
      async close() {
        await browser.close().catch(() => {});
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
