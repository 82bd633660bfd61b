import { pino } from 'pino';

/** The logging the server does: pino's API, so a pino logger plugs straight in. */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  child(bindings: object): Logger;
}

/** Discards everything: the library's default, so embedding it prints nothing. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

/**
 * JSON lines on stdout for the CLI, at `level` (trace, debug, info, warn, error). The
 * server never logs frames, tokens or secrets; the redaction is a second fence.
 */
export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      // Each line names its node and connection through child loggers, not pid/hostname.
      level,
      base: null,
      redact: { paths: ['token', 'secret', '*.token', '*.secret', 'resume'], censor: '[redacted]' },
    },
    destination ?? process.stdout,
  );
}
