/**
 * Start-up failures of the `peerlane` process as one line that says what is wrong and which
 * flag or variable to change. The process prints it and exits with status 1: a server that
 * cannot serve must not stay up looking healthy.
 */
import { SETTINGS } from './cli-options.js';

/** Where the process tried to listen. */
export interface ListenAddress {
  host: string;
  port: number;
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'this machine has no such address',
  // A --host that is a name the resolver does not know (or cannot look up right now).
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
};

/**
 * The line for `error`, thrown while listening or by `createSignalingServer` (whose option
 * errors start with `options.<key>`: the key is mapped back to its flag and variable).
 */
export function startupErrorLine(error: unknown, address: ListenAddress): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code in LISTEN_ERRORS) {
    return `cannot listen on ${address.host}:${address.port}: ${LISTEN_ERRORS[code]} (--host / HOST, --port / PORT)`;
  }
  const match = /^options\.([\w.]+) (.*)$/s.exec(message);
  const setting = SETTINGS.find((s) => s.key === match?.[1]);
  if (match && setting) return `--${setting.flag} / ${setting.env}: ${match[2]}`;
  // About a group of settings (`options.auth needs exactly one of secret or jwksUrl`): each
  // of its fields the message names becomes its flag and variable.
  const group = match?.[1] ?? '';
  const fields = SETTINGS.filter((s) => s.key.startsWith(`${group}.`));
  if (match && fields.length > 0) {
    let text = match[2] ?? '';
    for (const field of fields) {
      const name = field.key.slice(group.length + 1);
      text = text.replace(new RegExp(`\\b${name}\\b`, 'g'), `--${field.flag} / ${field.env}`);
    }
    return `${group} ${text}`;
  }
  return message;
}
