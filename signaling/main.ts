#!/usr/bin/env node
/**
 * The `peerlane` process: reads flags and environment, starts the signaling server with
 * the demo page, `/healthz`, `/readyz` and `/metrics` on one HTTP server, logs JSON lines
 * to stdout, and shuts down gracefully on SIGINT/SIGTERM (clients get 1001 and resume
 * elsewhere). `peerlane token …` mints a room token instead.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { helpText, parseCli } from './cli-options.js';
import { createHttpHandler } from './http.js';
import { createLogger, whileReadable } from './logger.js';
import { DEFAULT_OPTIONS } from './options.js';
import { createSignalingServer, type SignalingServer } from './server.js';
import { startupErrorLine } from './startup-error.js';
import { DEMO_CSP } from './static-files.js';
import { readTlsFiles } from './tls-files.js';
import { runTokenCommand } from './token-command.js';
import { applyServerV8Flags } from './v8-flags.js';

/** Human-facing lines go to stderr; stdout carries only JSON log lines. */
const say = (text: string): void => {
  process.stderr.write(`peerlane: ${text}\n`);
};
// A reader that went away (a closed pipe, EPIPE) costs the lines, never the process: what
// stderr says and what the short commands print (a token, the version, the help) are
// dropped. The server's log says so once on stderr (`whileReadable`, below).
process.stderr.on('error', () => {});
process.stdout.on('error', () => {});

async function main(): Promise<void> {
  if (process.argv[2] === 'token') {
    try {
      process.exitCode = await runTokenCommand(process.argv.slice(3), process.env, (text) =>
        process.stdout.write(text),
      );
    } catch (error) {
      say((error as Error).message);
      process.exitCode = 2;
    }
    return;
  }
  let request: ReturnType<typeof parseCli>;
  try {
    request = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    say((error as Error).message);
    process.exitCode = 2;
    return;
  }
  if (request.kind === 'version') {
    process.stdout.write(`${await packageVersion()}\n`);
    return;
  }
  if (request.kind === 'help') {
    process.stdout.write(helpText());
    return;
  }
  // Before anything serves: V8 decides about places in the code as they first run hot.
  const v8Flags = applyServerV8Flags();
  const { options } = request;
  const logger = createLogger(
    request.logLevel ?? 'info',
    whileReadable(process.stdout, (error) => {
      const code = (error as NodeJS.ErrnoException).code ?? error.message;
      say(`stdout was closed (${code}): log lines are dropped from now on; still serving`);
    }),
  );
  const demoDir = request.demoDir ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'demo');
  let signaling: SignalingServer | undefined;
  const handler = createHttpHandler({
    demoDir,
    signalingPath: options.path ?? DEFAULT_OPTIONS.path,
    // The demo's own policy; an app served with --demo-dir brings its own.
    csp: request.demoDir === undefined ? DEMO_CSP : undefined,
    metricsToken: request.metricsToken,
    health: () => signaling?.stats() ?? {},
    ready: () => signaling?.ready() ?? false,
    metrics: async () => ({
      text: (await signaling?.metrics()) ?? '',
      contentType: signaling?.metricsContentType ?? 'text/plain',
    }),
  });
  let tlsFiles: Awaited<ReturnType<typeof readTlsFiles>> | undefined;
  try {
    if (request.tls) tlsFiles = await readTlsFiles(request.tls);
  } catch (error) {
    say(`cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  const http = tlsFiles ? createHttpsServer(tlsFiles, handler) : createServer(handler);
  const address = {
    host: options.host ?? DEFAULT_OPTIONS.host,
    port: options.port ?? DEFAULT_OPTIONS.port,
  };
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(address.port, address.host, resolve);
    });
    signaling = await createSignalingServer({ ...options, server: http, logger });
  } catch (error) {
    // Exit rather than stay up with /healthz answering 200 and nothing else working.
    say(`cannot start: ${startupErrorLine(error, address)}`);
    process.exit(1);
  }
  const page = signaling.url.replace(/^ws/, 'http').replace(/\/[^/]*$/, '/');
  logger.info(
    { node: signaling.nodeId, url: signaling.url, redis: options.redisUrl !== undefined, v8Flags },
    'listening',
  );
  say(`listening on ${page} (signaling ${signaling.url})`);
  if (options.redisUrl && !signaling.ready()) announceRedis(signaling, options.redisUrl);

  const running = signaling;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      say(`${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
    say(`${signal}, closing connections…`);
    http.close();
    running
      .close()
      .then(() => {
        http.closeAllConnections();
        say('stopped');
      })
      .catch((error: unknown) => {
        say(`shutdown failed: ${String(error)}`);
        process.exitCode = 1;
      });
  };
  const tlsPaths = request.tls;
  // SIGHUP reloads the certificate; without TLS there is nothing to reload, and the
  // process must not die of it (Node's default for SIGHUP) when an operator or a
  // supervisor sends it by habit.
  process.on('SIGHUP', () => {
    if (!tlsPaths || !('setSecureContext' in http)) {
      say('SIGHUP: nothing to reload (no --tls-cert); still running');
      return;
    }
    // Renewed certificates: new handshakes use them, open connections keep theirs.
    readTlsFiles(tlsPaths).then(
      (files) => {
        http.setSecureContext(files);
        say('SIGHUP: reloaded the TLS certificate and key');
      },
      (error: unknown) => say(`SIGHUP: kept the current certificate: ${(error as Error).message}`),
    );
  });
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** The version in Peerlane's package.json (from `dist/signaling/` or `signaling/`). */
async function packageVersion(): Promise<string> {
  for (const up of ['../..', '..']) {
    const file = join(dirname(fileURLToPath(import.meta.url)), up, 'package.json');
    const pkg = await readFile(file, 'utf8').then(
      (text) => JSON.parse(text) as { name?: string; version?: string },
      () => undefined,
    );
    if (pkg?.name === 'peerlane' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

/**
 * Redis did not answer at boot: the store keeps reconnecting with backoff, and /readyz
 * answers 503 (joins get UNAVAILABLE) until it does. Says so once, and again when ready.
 */
function announceRedis(signaling: SignalingServer, redisUrl: string): void {
  const where = redisUrl.replace(/\/\/[^@/]*@/, '//');
  say(`waiting for Redis at ${where} (/readyz answers 503 until it answers)`);
  const poll = setInterval(() => {
    if (!signaling.ready()) return;
    clearInterval(poll);
    say('Redis is up: ready');
  }, 250);
  poll.unref();
}

main().catch((error: unknown) => {
  say((error as Error).message ?? String(error));
  process.exit(1);
});
