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

/** Where log lines are written: a stream, or anything with its `write`. */
export interface LogDestination {
  write(line: string): unknown;
}

/**
 * JSON lines on stdout for the CLI, at `level` (trace, debug, info, warn, error). The
 * server never logs frames, tokens or secrets; the redaction is a second fence.
 */
export function createLogger(level = 'info', destination?: LogDestination): Logger {
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

/**
 * Writes to `stream` for as long as it takes lines. When its reader goes away — a closed
 * pipe, a log shipper that died (EPIPE) — lines are dropped from then on and `lost` is told
 * once: losing the log must not take the server down (an unhandled stream error would
 * end the process).
 */
export function whileReadable(
  stream: NodeJS.WritableStream,
  lost: (error: Error) => void,
): LogDestination {
  let broken = false;
  stream.on('error', (error: Error) => {
    if (broken) return;
    broken = true;
    lost(error);
  });
  return {
    write(line) {
      if (!broken) stream.write(line);
    },
  };
}
