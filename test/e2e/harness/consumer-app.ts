/**
 * A fresh project that uses Peerlane the way an app developer would: from the packed
 * tarball, with no configuration of its own. Used by `test/e2e/consumer.test.ts`.
 *
 * The project installs with `npm ci --offline` from a lock file made of the tarball and
 * the production entries of this repository's lock file (the same versions `npm install`
 * would pick today), so the test needs no registry and runs in a loopback-only namespace.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './sdk-bundle.js';

const run = promisify(execFile);

/** One entry of `npm pack --json`. */
export interface PackResult {
  filename: string;
  files: { path: string; size: number }[];
  size: number;
  unpackedSize: number;
}

/** `npm pack` (its `prepack` builds) into `destination`; returns what npm reports. */
export async function packTarball(destination: string): Promise<PackResult> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  // Lifecycle scripts print to stdout before the JSON array.
  const [result] = JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1)) as PackResult[];
  if (!result) throw new Error('npm pack reported no tarball');
  return result;
}

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

/** The app: join the room named in `?room=`, greet every peer, list what arrives. */
const APP_MAIN = `import { joinRoom } from 'peerlane';

const params = new URLSearchParams(location.search);
const name = params.get('name') ?? 'page';
const url = new URL('/ws', location.href);
url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
const room = await joinRoom({ url: url.href, room: params.get('room') ?? 'lobby' });
// Peers already in the room at the welcome, then each newcomer.
for (const peer of room.peers) peer.send(\`hello from \${name}\`);
room.on('peer-joined', (peer) => peer.send(\`hello from \${name}\`));
room.on('message', (data) => {
  const item = document.createElement('li');
  item.textContent = String(data);
  document.querySelector('#messages')?.append(item);
});
`;

const APP_HTML = (script: string): string => `<!doctype html>
<html><head><meta charset="utf-8"><title>consumer</title><link rel="icon" href="data:,"></head>
<body><ul id="messages"></ul><script type="module" src="${script}"></script></body></html>
`;

/** Types only: `peerlane/browser` must carry the SDK's types. */
const BROWSER_TYPES = `import { joinRoom, PeerlaneError } from 'peerlane/browser';
export const join: typeof joinRoom = joinRoom;
export const isError = (error: unknown): error is PeerlaneError => error instanceof PeerlaneError;
`;

/** A Node peer: joins with @roamhq/wrtc and ws, greets, prints each message as a line. */
const NODE_PEER = (wrtcPath: string): string => `import { joinRoom } from 'peerlane';
import { WebSocket } from 'ws';
import wrtc from ${JSON.stringify(wrtcPath)};

const [url, roomName] = process.argv.slice(2);
const room = await joinRoom({ url, room: roomName, wrtc, WebSocket });
for (const peer of room.peers) peer.send('hello from node');
room.on('peer-joined', (peer) => peer.send('hello from node'));
room.on('message', (data) => console.log(String(data)));
process.stdin.on('end', () => void room.leave().then(() => process.exit(0)));
process.stdin.resume();
`;

const TSCONFIG = (module: 'bundler' | 'nodenext'): string =>
  JSON.stringify({
    compilerOptions: {
      strict: true,
      target: 'es2022',
      module: module === 'bundler' ? 'esnext' : 'nodenext',
      moduleResolution: module,
      lib: ['es2023', 'dom', 'dom.iterable'],
      types: [],
      skipLibCheck: false,
      noEmit: true,
    },
    include: ['src'],
  });

/**
 * Writes a fresh app to `dir` that depends on the tarball `tarball` (a file in `dir`),
 * and installs it offline.
 */
export async function createConsumerProject(dir: string, tarball: string): Promise<void> {
  await mkdir(join(dir, 'src'), { recursive: true });
  const files: Record<string, string> = {
    'index.html': APP_HTML('/src/main.ts'),
    'src/main.ts': APP_MAIN,
    // The same app as plain JavaScript, for webpack, which has no TypeScript without a loader.
    'src/main.js': APP_MAIN,
    'src/browser-types.ts': BROWSER_TYPES,
    'node-peer.mjs': NODE_PEER(join(ROOT, 'node_modules/@roamhq/wrtc/lib/index.js')),
    'tsconfig.bundler.json': TSCONFIG('bundler'),
    'tsconfig.nodenext.json': TSCONFIG('nodenext'),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  await install(dir, tarball, []);
}

/**
 * Adds `names` (with what they depend on) to the app, at the versions of this
 * repository's lock file, as an operator does to run the server beside the SDK.
 */
export async function addPackages(dir: string, tarball: string, names: string[]): Promise<void> {
  await install(dir, tarball, names);
}

/** Writes package.json and a lock file for peerlane plus `extra`, and runs `npm ci --offline`. */
async function install(dir: string, tarball: string, extra: string[]): Promise<void> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Record<
    string,
    Record<string, string> | string
  >;
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const integrity = `sha512-${createHash('sha512')
    .update(await readFile(join(dir, tarball)))
    .digest('base64')}`;
  const dependencies: Record<string, string> = { peerlane: `file:${tarball}` };
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies },
    'node_modules/peerlane': {
      version: pkg.version,
      resolved: `file:${tarball}`,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      peerDependencies: pkg.peerDependencies,
      peerDependenciesMeta: pkg.peerDependenciesMeta,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  // peerlane's own dependencies: the lock's production entries.
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path && !entry.dev && !entry.devOptional) packages[path] = entry;
  }
  // Each extra package and everything it depends on, no longer marked as dev.
  const pending = extra.map((name) => `node_modules/${name}`);
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    const entry = lock.packages[path];
    if (!entry) throw new Error(`${path} is not in package-lock.json`);
    if (path.split('node_modules/').length === 2) {
      const name = path.slice('node_modules/'.length);
      if (extra.includes(name)) dependencies[name] = String(entry.version);
    }
    const { dev: _dev, devOptional: _devOptional, ...rest } = entry;
    packages[path] = rest;
    const needs = { ...(entry.dependencies as object), ...(entry.optionalDependencies as object) };
    for (const dependency of Object.keys(needs)) {
      const nested = `${path}/node_modules/${dependency}`;
      const found = lock.packages[nested] ? nested : `node_modules/${dependency}`;
      const optional = dependency in ((entry.optionalDependencies as object) ?? {});
      if (found in packages || (optional && !lock.packages[found])) continue;
      pending.push(found);
    }
  }
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies }),
  );
  await writeFile(
    join(dir, 'package-lock.json'),
    JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }),
  );
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: dir });
}

/** `tsc -p <config>` of the repository's TypeScript in `dir`; resolves with its output. */
export async function typecheck(dir: string, config: string): Promise<string> {
  try {
    await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', config], { cwd: dir });
    return '';
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    return `${stdout ?? ''}${stderr ?? ''}` || String(error);
  }
}

/** The page of the esbuild build (the Vite build's is `index.html`). */
export const ESBUILD_PAGE = 'esbuild.html';
/** The page of the webpack build. */
export const WEBPACK_PAGE = 'webpack.html';

/**
 * Bundles the app's `src/main.js` with webpack 5 through webpack-cli's flags only (no
 * webpack.config.js). Like `typecheck`, it runs this repository's copy of the tools (npm's
 * webpack and webpack-cli, devDependencies here) on the app's folder: what is bundled is
 * resolved from the app's own node_modules, where only the tarball and its dependencies are.
 */
export async function bundleWithWebpack(dir: string): Promise<void> {
  const args = ['--mode', 'production', '--entry', './src/main.js'];
  args.push('--output-path', join(dir, 'dist/webpack'), '--output-filename', 'main.js');
  await run(join(ROOT, 'node_modules/.bin/webpack'), args, { cwd: dir }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(`webpack failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    },
  );
}
export { APP_HTML };
