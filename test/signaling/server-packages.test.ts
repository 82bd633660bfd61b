import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  installCommand,
  missingServerPackages,
  SERVER_PACKAGES,
} from '../../signaling/server-packages.js';

const pkg = JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

describe('server packages', () => {
  it('are exactly the optional peer dependencies, at the same ranges, and no dependency', () => {
    expect(pkg.peerDependencies).toEqual(SERVER_PACKAGES);
    for (const name of Object.keys(SERVER_PACKAGES)) {
      expect(pkg.peerDependenciesMeta[name]).toEqual({ optional: true });
      expect(pkg.dependencies[name]).toBeUndefined();
    }
  });

  it('are all found here, and reported when one is missing', () => {
    expect(missingServerPackages()).toEqual([]);
    const without = (absent: string[]) => (name: string) => {
      if (absent.includes(name)) throw new Error(`Cannot find package '${name}'`);
      return `file:///node_modules/${name}`;
    };
    expect(missingServerPackages(without(['ioredis', 'ws']))).toEqual(['ws', 'ioredis']);
  });

  it('are installed by one command at the expected versions', () => {
    expect(installCommand()).toBe(
      'npm install ws@8 pino@10 prom-client@15 ioredis@5 jose@6 sdp-transform@3',
    );
  });
});
