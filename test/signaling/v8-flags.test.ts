/**
 * The server's V8 flags: which it sets, that an operator's own choice wins, and that the
 * flags do in this Node what they are set for (README, "Signaling server": a burst of
 * connections must not make every later message's objects start in the old generation).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SERVER_V8_FLAGS, serverV8FlagsToSet } from '../../signaling/v8-flags.js';

const run = promisify(execFile);

describe('server V8 flags', () => {
  it('sets every flag Node was not given', () => {
    expect(serverV8FlagsToSet([])).toEqual(SERVER_V8_FLAGS);
    expect(serverV8FlagsToSet(['--import', 'tsx', '--max-old-space-size=512'])).toEqual(
      SERVER_V8_FLAGS,
    );
  });

  it.each([
    '--allocation-site-pretenuring',
    '--no-allocation-site-pretenuring',
    '--allocation_site_pretenuring',
  ])('leaves pretenuring alone when Node was started with %s', (given) => {
    expect(serverV8FlagsToSet(['--import', 'tsx', given])).toEqual([]);
  });

  // One place in the code makes a million objects that all survive (a burst of
  // connections), then three million that die young (messages). V8 with pretenuring makes
  // the later ones in the old generation; with the flags set at run time, in the young one.
  const script = `
    const v8 = require('node:v8');
    for (const flag of process.argv.slice(1)) v8.setFlagsFromString(flag);
    const make = (i) => ({ i, a: i + 1, b: null });
    const kept = [];
    for (let i = 0; i < 1e6; i++) kept.push(make(i));
    gc();
    gc(); // every survivor is old now: what the old space gains below was made there
    const old = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size;
    const ring = new Array(64);
    const before = old();
    for (let i = 0; i < 3e6; i++) ring[i & 63] = make(i);
    process.stdout.write(String((old() - before) / 1048576) + ' ' + kept.length + ring.length);
  `;
  const oldGrowthMiB = async (flags: readonly string[]): Promise<number> => {
    const { stdout } = await run(process.execPath, ['--expose-gc', '-e', script, ...flags]);
    return Number.parseFloat(stdout);
  };

  it('keep short-lived objects young after a burst of survivors from the same place', async () => {
    const [pretenuring, flagged] = await Promise.all([
      oldGrowthMiB([]),
      oldGrowthMiB(SERVER_V8_FLAGS),
    ]);
    // The workload shows the problem at all (~137 MiB here; else this test could not fail)…
    expect(pretenuring).toBeGreaterThan(50);
    // …and the flags, set while running, remove it.
    expect(flagged).toBeLessThan(2);
  });
});
