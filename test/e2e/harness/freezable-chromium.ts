import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.js';

/** A Chromium of its own that can be frozen: every process of it stops at once. */
export interface FreezableChromium {
  readonly browser: Browser;
  /**
   * SIGSTOP to the browser's whole process group: from the outside it is a machine whose
   * network vanished — no packet leaves it, no socket closes (no FIN, no RST), so the
   * others learn only from silence and timeouts.
   */
  freeze(): void;
  /** SIGKILL to the process group (the only way out of a freeze). */
  kill(): void;
}

/**
 * Launches the system Chromium with the harness's flags as a process-group leader
 * (`launchServer`, which spawns it detached), so that {@link FreezableChromium.freeze}
 * can stop all its processes — browser, renderers, network service — together.
 */
export async function launchFreezableChromium(): Promise<FreezableChromium> {
  const server = await chromium.launchServer({
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: 15_000,
  });
  const pid = server.process().pid;
  if (pid === undefined) throw new Error('the freezable Chromium has no process id');
  const browser = await chromium.connect(server.wsEndpoint(), { timeout: 15_000 });
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch (error) {
      // ESRCH: already gone.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  return {
    browser,
    freeze: () => signal('SIGSTOP'),
    kill: () => signal('SIGKILL'),
  };
}
