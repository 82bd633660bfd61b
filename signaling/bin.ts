#!/usr/bin/env node
/**
 * The `peerlane` command: checks that the server's packages are installed (they are
 * optional peer dependencies, see `server-packages.ts`), then runs the server (`main.ts`).
 */
import { installCommand, missingServerPackages } from './server-packages.js';

const missing = missingServerPackages();
if (missing.length > 0) {
  process.stderr.write(
    `peerlane: cannot start: the server needs ${missing.join(', ')}, which are not installed ` +
      `(apps that only use the SDK do not need them): ${installCommand()}\n`,
  );
  process.exitCode = 1;
} else {
  await import('./main.js');
}
