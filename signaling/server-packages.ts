/**
 * The packages only the server uses. They are optional peer dependencies of `peerlane`:
 * an app that bundles the SDK installs none of them (npm does not install optional
 * peers), and whoever runs the server installs them beside it. `bin.ts` checks them before
 * loading the server, and says in one line what to install.
 */

/** Each server package with the major version range package.json's peerDependencies give. */
export const SERVER_PACKAGES = {
  ws: '^8.23.0',
  pino: '^10.4.0',
  'prom-client': '^15.1.3',
  ioredis: '^5.11.1',
  jose: '^6.2.17',
  'sdp-transform': '^3.0.0',
} as const;

/** The server packages that `resolve` (by default this module's `import.meta.resolve`) cannot find. */
export function missingServerPackages(
  resolve: (name: string) => unknown = (name) => import.meta.resolve(name),
): string[] {
  return Object.keys(SERVER_PACKAGES).filter((name) => {
    try {
      resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

/** The command that installs every server package, at the major versions `peerlane` expects. */
export function installCommand(): string {
  const specs = Object.entries(SERVER_PACKAGES).map(
    ([name, range]) => `${name}@${/\d+/.exec(range)?.[0] ?? 'latest'}`,
  );
  return `npm install ${specs.join(' ')}`;
}
