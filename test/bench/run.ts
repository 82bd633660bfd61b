/**
 * `npm run bench <name> [flags]`: runs one benchmark, each in its own folder beside this
 * file. A benchmark module exports a function taking the remaining flags and resolving
 * with the exit code.
 */
type Benchmark = (argv: readonly string[]) => Promise<number>;

const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  signaling: async () => (await import('./signaling/index.js')).runSignalingBenchmark,
  sdk: async () => (await import('./sdk/index.js')).runSdkBenchmark,
  files: async () => (await import('./files/index.js')).runFilesBenchmark,
  cluster: async () => (await import('./cluster/index.js')).runClusterBenchmark,
  relay: async () => (await import('./relay/index.js')).runRelayBenchmark,
  connectivity: async () => (await import('./connectivity/index.js')).runConnectivityBenchmark,
  'media-relay': async () => (await import('./media-relay/index.js')).runMediaRelayBenchmark,
  'e2ee-media': async () => (await import('./e2ee-media/index.js')).runE2eeMediaBenchmark,
  webcrypto: async () => (await import('./webcrypto/index.js')).runWebcryptoBenchmark,
};

async function main(): Promise<number> {
  const [name, ...argv] = process.argv.slice(2);
  const load = name === undefined ? undefined : BENCHMARKS[name];
  if (!load) {
    process.stderr.write(
      `usage: npm run bench <name> [-- flags]; benchmarks: ${Object.keys(BENCHMARKS).join(', ')}\n`,
    );
    return 2;
  }
  return (await load())(argv);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
