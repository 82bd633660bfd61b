import { fastJoinFrame } from './fast-join.js';
import { fastSignalFrame, signalDataJson } from './fast-signal.js';
import {
  CLIENT_FRAME_TYPES,
  ClientFrame,
  ERROR_CODES,
  type ErrorCode,
  type ServerFrame,
} from './protocol.js';

/** A frame that could not be accepted, with what to tell the client. */
export interface FrameRejection {
  code: ErrorCode;
  message: string;
  ref?: string;
}

/**
 * A parsed frame. `dataJson`, for a signal in the SDK's own shape: its `data` as the client
 * wrote it, to forward as it came (see `signalDataJson`).
 */
export type ParsedFrame =
  | { ok: true; frame: ClientFrame; dataJson?: string }
  | ({ ok: false } & FrameRejection);

const clientTypes: ReadonlySet<string> = new Set(CLIENT_FRAME_TYPES);

/**
 * Turns one incoming text message into a validated client frame, or says exactly why
 * not. Never throws. (Binary messages are relay frames: see relay.ts.)
 */
export function parseClientFrame(data: Buffer, maxPayload: number): ParsedFrame {
  if (data.length > maxPayload) {
    return reject('FRAME_TOO_LARGE', `frame is ${data.length} bytes; the limit is ${maxPayload}`);
  }
  let raw: unknown;
  const text = data.toString('utf8');
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return reject('BAD_JSON', `frame is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return reject('INVALID_FRAME', 'frame must be a JSON object with a "type"');
  }
  const ref = refOf(raw);
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string' || !clientTypes.has(type)) {
    const problem =
      typeof type === 'string'
        ? `unknown frame type "${type.slice(0, 32)}"`
        : 'frame has no string "type"';
    return reject(
      'UNKNOWN_TYPE',
      `${problem}; expected one of ${CLIENT_FRAME_TYPES.join(', ')}`,
      ref,
    );
  }
  if (type === 'signal') {
    const frame = fastSignalFrame(raw as Record<string, unknown>);
    if (frame) {
      const dataJson = frame.ref === undefined ? signalDataJson(text, frame.to) : undefined;
      return dataJson === undefined ? { ok: true, frame } : { ok: true, frame, dataJson };
    }
  } else if (type === 'join') {
    const frame = fastJoinFrame(raw as Record<string, unknown>);
    if (frame) return { ok: true, frame };
  }
  const result = ClientFrame.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : type;
    return reject('INVALID_FRAME', `${type}: ${where}: ${issue?.message ?? 'invalid'}`, ref);
  }
  return { ok: true, frame: result.data };
}

function refOf(raw: object): string | undefined {
  const ref = (raw as { ref?: unknown }).ref;
  return typeof ref === 'string' && ref.length <= 64 ? ref : undefined;
}

function reject(code: ErrorCode, message: string, ref?: string): ParsedFrame {
  return ref === undefined ? { ok: false, code, message } : { ok: false, code, message, ref };
}

/** Builds an `error` frame; the message defaults to the code's documented meaning. */
export function errorFrame(
  code: ErrorCode,
  message: string = ERROR_CODES[code],
  ref?: string,
): ServerFrame {
  return ref === undefined
    ? { type: 'error', code, message }
    : { type: 'error', code, message, ref };
}
