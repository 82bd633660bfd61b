/**
 * Vitest `globalSetup`: builds the SDK's browser bundle and the demo once, in the main
 * process, before any test file starts — so parallel e2e files do not each build them,
 * and no test's hooks pay for it. Optional: `useE2e({ sdk: true, demo: true })` builds on
 * demand without it. (Each build is skipped when its sources did not change.)
 */
import { ensureDemoBuild } from './harness/demo-build.js';
import { ensureSdkBundle } from './harness/sdk-bundle.js';

export default async function setup(): Promise<void> {
  await ensureSdkBundle();
  await ensureDemoBuild();
}
