/**
 * Vitest `globalSetup`: builds the SDK's browser bundle once, in the main process, before
 * any test file starts — so parallel e2e files do not each build it, and no test's hooks
 * pay for it. Optional: `useE2e({ sdk: true })` builds on demand without it.
 */
import { ensureSdkBundle } from './harness/sdk-bundle.js';

export default async function setup(): Promise<void> {
  await ensureSdkBundle();
}
