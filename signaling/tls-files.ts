/**
 * The certificate and key of `--tls-cert` / `--tls-key`: read from their files and checked
 * together, with errors that name the flag and variable at fault. Read at start-up and on
 * every SIGHUP (certificate renewal without a restart).
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { TlsFiles } from './options.js';

/** Paths of the PEM files. */
export interface TlsPaths {
  certFile: string;
  keyFile: string;
}

async function read(path: string, setting: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`${setting}: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`);
  }
}

/** Reads both files and checks that they form a usable certificate and key. */
export async function readTlsFiles(paths: TlsPaths): Promise<TlsFiles> {
  const cert = await read(paths.certFile, '--tls-cert / PEERLANE_TLS_CERT');
  const key = await read(paths.keyFile, '--tls-key / PEERLANE_TLS_KEY');
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    const reason = (error as Error).message.replace(/^error:[^:]*:[^:]*:[^:]*:/, '');
    throw new Error(
      `--tls-cert / --tls-key: ${paths.certFile} and ${paths.keyFile} are not a PEM certificate and its key (${reason})`,
    );
  }
  return { cert, key };
}
