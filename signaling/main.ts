#!/usr/bin/env node
/**
 * The `peerlane` process: reads flags and environment, starts the signaling server with
 * the demo page and `/healthz` on one HTTP server, and shuts down gracefully on
 * SIGINT/SIGTERM (clients get 1001 and resume elsewhere).
 */
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { helpText, parseCli } from './cli-options.js';
import { createHttpHandler } from './http.js';
import { DEFAULT_OPTIONS } from './options.js';
import { createSignalingServer, type SignalingServer } from './server.js';
import { runTokenCommand } from './token-command.js';

async function main(): Promise<void> {
  if (process.argv[2] === 'token') {
    try {
      process.exitCode = await runTokenCommand(process.argv.slice(3), process.env, (text) =>
        process.stdout.write(text),
      );
    } catch (error) {
      process.stderr.write(`peerlane: ${(error as Error).message}\n`);
      process.exitCode = 2;
    }
    return;
  }
  let request: ReturnType<typeof parseCli>;
  try {
    request = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`peerlane: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (request.kind === 'help') {
    process.stdout.write(helpText());
    return;
  }
  const { options } = request;
  const demoDir = request.demoDir ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'demo');
  let signaling: SignalingServer | undefined;
  const http = createServer(createHttpHandler({ demoDir, health: () => signaling?.stats() ?? {} }));
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(
      options.port ?? DEFAULT_OPTIONS.port,
      options.host ?? DEFAULT_OPTIONS.host,
      resolve,
    );
  });
  signaling = await createSignalingServer({ ...options, server: http });
  const page = signaling.url.replace(/^ws/, 'http').replace(/\/[^/]*$/, '/');
  process.stdout.write(`peerlane: listening on ${page} (signaling ${signaling.url})\n`);

  const running = signaling;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      process.stderr.write(`peerlane: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`peerlane: ${signal}, closing connections…\n`);
    http.close();
    running
      .close()
      .then(() => {
        http.closeAllConnections();
        process.stdout.write('peerlane: stopped\n');
      })
      .catch((error: unknown) => {
        process.stderr.write(`peerlane: shutdown failed: ${String(error)}\n`);
        process.exitCode = 1;
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`peerlane: ${(error as Error).message ?? String(error)}\n`);
  process.exitCode = 1;
});
