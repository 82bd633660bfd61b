import { existsSync } from 'node:fs';

/** Where a browser binary is looked for. */
export interface BrowserLocation {
  /** As the error names it: `Chromium`, `Firefox`. */
  name: string;
  /** The environment variable that overrides `fallback`. */
  variable: string;
  /** Where Debian's package puts it. */
  fallback: string;
  /** The Debian package to install. */
  pkg: string;
}

/**
 * The browser binary to drive: `$variable` when set, else `fallback`. Throws with
 * instructions when it does not exist (Playwright and Puppeteer cannot download browsers here).
 */
export function browserPath(where: BrowserLocation, env: NodeJS.ProcessEnv): string {
  const chosen = env[where.variable];
  const path = chosen || where.fallback;
  if (!existsSync(path)) {
    throw new Error(
      `${where.name} not found at ${path}${chosen ? ` (from ${where.variable})` : ''}. ` +
        `Install it with \`apt-get install -y ${where.pkg}\`, or set ${where.variable} to a ${where.name} binary.`,
    );
  }
  return path;
}
