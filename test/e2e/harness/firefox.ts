import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { browserPath } from './browser-path.js';

/** Where Debian's `apt-get install firefox-esr` puts the browser. */
export const DEFAULT_FIREFOX_PATH = '/usr/bin/firefox-esr';

/**
 * Preferences that make Firefox's WebRTC work on loopback and keep it quiet (see
 * shared/guide/testing-webrtc.md): loopback ICE candidates with raw addresses, fake camera
 * and microphone without a prompt, and none of its own traffic (updates, telemetry, safe
 * browsing, captive portal and connectivity checks, DNS over HTTPS, push, region…).
 */
export const FIREFOX_PREFS: Readonly<Record<string, string | number | boolean>> = {
  // Without it Firefox offers no UDP loopback candidate and ICE fails.
  'media.peerconnection.ice.loopback': true,
  // Raw IPs instead of mDNS `uuid.local` names (which would be resolved by multicast).
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'app.update.enabled': false,
  'app.update.auto': false,
  'app.normandy.enabled': false,
  'app.normandy.api_url': '',
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'browser.newtabpage.enabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.trr.mode': 5, // DNS over HTTPS off, by choice
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.http.speculative-parallel-limit': 0,
  'dom.push.enabled': false,
  'dom.push.serverURL': '',
  'media.gmp-manager.updateEnabled': false,
  'media.gmp-manager.url': '',
  'extensions.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  // Honoured only with MOZ_REMOTE_SETTINGS_DEVTOOLS=1 in the environment (set at launch).
  'services.settings.server': 'http://127.0.0.1:9/remote-settings/v1',
};

/**
 * The Firefox binary to drive: `$FIREFOX_PATH` when set, else {@link DEFAULT_FIREFOX_PATH}.
 * Throws with instructions when it does not exist.
 */
export function firefoxPath(env: NodeJS.ProcessEnv = process.env): string {
  return browserPath(
    {
      name: 'Firefox',
      variable: 'FIREFOX_PATH',
      fallback: DEFAULT_FIREFOX_PATH,
      pkg: 'firefox-esr',
    },
    env,
  );
}

/**
 * True when the network namespace has a default route (IPv4 or IPv6). Firefox gathers no
 * ICE candidate at all without one ("failed to find default addresses"): in a
 * loopback-only namespace, `ip route add default dev lo src 127.0.0.1` gives it one
 * without letting anything out (`lo` is the only device).
 */
export function hasDefaultRoute(): boolean {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  // /proc/net/route: Iface, Destination (hex), …; /proc/net/ipv6_route: dest, prefix length, …
  const v4 = read('/proc/net/route')
    .split('\n')
    .slice(1)
    .some((line) => line.split(/\s+/)[1] === '00000000');
  const v6 = read('/proc/net/ipv6_route')
    .split('\n')
    .some((line) => /^0{32} 00 /.test(line));
  return v4 || v6;
}

/**
 * A launched Firefox: puppeteer's `browser`. `close()` closes it and removes its profile,
 * also after the browser died on its own.
 */
export interface FirefoxSession {
  readonly browser: Browser;
  /** e.g. `firefox/153.8.0`. */
  readonly version: string;
  close(): Promise<void>;
}

/**
 * Launches the system Firefox headless through puppeteer-core over WebDriver BiDi (no
 * geckodriver needed), with {@link FIREFOX_PREFS} and a fresh profile in a temporary
 * directory that `close()` removes. Takes 6–10 s here.
 * @throws when Firefox is missing, or when there is no default route (see {@link hasDefaultRoute}).
 */
export async function launchFirefox(): Promise<FirefoxSession> {
  const executablePath = firefoxPath();
  if (!hasDefaultRoute()) {
    throw new Error(
      'Firefox gathers no ICE candidate without a default route. In a loopback-only ' +
        'namespace add one on lo: `ip route add default dev lo src 127.0.0.1` (see .ci/run).',
    );
  }
  const profile = await mkdtemp(join(tmpdir(), 'peerlane-firefox-'));
  // Firefox may still be writing to it while it exits: retry a few times.
  const remove = () => rm(profile, { recursive: true, force: true, maxRetries: 5 });
  try {
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath,
      headless: true,
      userDataDir: profile,
      extraPrefsFirefox: { ...FIREFOX_PREFS },
      env: { ...process.env, MOZ_REMOTE_SETTINGS_DEVTOOLS: '1' },
      timeout: 30_000,
      // One evaluate may run for minutes (a benchmark's 256 MiB on a loaded machine);
      // tests bound their waits themselves. Puppeteer's default is 180 s.
      protocolTimeout: 15 * 60_000,
    });
    return {
      browser,
      version: await browser.version(),
      close: async () => {
        await browser.close().catch(() => {});
        await remove().catch((error: unknown) => {
          console.warn(`could not remove the Firefox profile ${profile}: ${error}`);
        });
      },
    };
  } catch (error) {
    await remove();
    throw error;
  }
}
