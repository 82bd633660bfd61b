/**
 * `npm test` on a machine without the programs the suites run stops at once with the
 * command that installs them (`scripts/test-deps.mjs`, the `pretest` script).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '../scripts/test-deps.mjs');

function check(env: Record<string, string>) {
  return promisify(execFile)(process.execPath, [SCRIPT, '--check'], {
    env: { ...env, HOME: process.env.HOME ?? '/' },
  }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
}

describe('npm test on a fresh machine', () => {
  it('passes when every program is there', async () => {
    expect(await check({ PATH: process.env.PATH ?? '' })).toEqual({ code: 0, stderr: '' });
  });

  it('stops with the exact apt-get command when programs are missing', async () => {
    const result = await check({ PATH: '/nonexistent' });
    expect(result.code).toBe(1);
    const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
    expect(result.stderr).toContain(
      `${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends chromium firefox-esr redis-server coturn openssl`,
    );
  });

  it('takes CHROME_PATH for Chromium and FIREFOX_PATH for Firefox', async () => {
    const result = await check({ PATH: '/nonexistent', CHROME_PATH: process.execPath });
    expect(result.stderr).toContain(
      '--no-install-recommends firefox-esr redis-server coturn openssl\n',
    );
    const both = {
      PATH: '/nonexistent',
      CHROME_PATH: process.execPath,
      FIREFOX_PATH: process.execPath,
    };
    expect((await check(both)).stderr).toContain(
      '--no-install-recommends redis-server coturn openssl\n',
    );
  });
});
