#!/usr/bin/env node
/**
 * `npm test`'s `pretest`: the suites drive real programs — Chromium (Debian's `chromium`,
 * or `$CHROME_PATH`), Firefox (`firefox-esr`, or `$FIREFOX_PATH`), `redis-server`, coturn's
 * `turnserver` and `openssl`. When one is
 * missing this installs it with apt-get (as root on Debian/Ubuntu), or stops at once with
 * the exact command to run, instead of letting suites fail one by one.
 *
 *   node scripts/test-deps.mjs           check, install if possible
 *   node scripts/test-deps.mjs --check   check only; exit 1 with the command if missing
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Each program the tests run, and the Debian package that has it. */
const PROGRAMS = [
  { program: 'chromium', pkg: 'chromium', env: 'CHROME_PATH' },
  { program: 'firefox-esr', pkg: 'firefox-esr', env: 'FIREFOX_PATH' },
  { program: 'redis-server', pkg: 'redis-server' },
  { program: 'turnserver', pkg: 'coturn' },
  { program: 'openssl', pkg: 'openssl' },
];

/** True when `program` is on PATH (or `env` names an existing file). */
function available({ program, env }) {
  if (env && process.env[env] && existsSync(process.env[env])) return true;
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir && existsSync(join(dir, program)));
}

/** The Debian packages whose program is missing. */
function missingPackages() {
  return PROGRAMS.filter((entry) => !available(entry)).map((entry) => entry.pkg);
}

const missing = missingPackages();
if (missing.length > 0) {
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const canInstall =
    !process.argv.includes('--check') && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
    console.error(
      `npm test needs ${missing.join(', ')} (real browsers and servers run in the tests). ` +
        `Install ${missing.length === 1 ? 'it' : 'them'}, then run npm test again:\n\n` +
        `  ${sudo}apt-get update && ${sudo}${command}\n\n` +
        '(Chromium elsewhere: set CHROME_PATH. Tests that need none of them: npm run test:unit)',
    );
    process.exit(1);
  }
  console.error(`npm test: installing ${missing.join(', ')} (${command})`);
  for (const args of [['update', '-qq'], command.split(' ').slice(1)]) {
    const result = spawnSync('apt-get', args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0) {
      console.error(`npm test: apt-get ${args.join(' ')} failed; run it yourself and retry`);
      process.exit(1);
    }
  }
}
