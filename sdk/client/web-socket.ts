import { RELAY_DATA, RELAY_HEADER_BYTES, ServerFrame } from '../../signaling/protocol.js';
import { PeerlaneError } from '../errors.js';

/**
 * The part of the WebSocket API the SDK uses. Browsers' `WebSocket` and the `ws`
 * package's both fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  /** Bytes queued by `send()` and not yet on the network. */
  readonly bufferedAmount: number;
  /** The SDK sets `'arraybuffer'`, so relay frames arrive as ArrayBuffers. */
  binaryType: string;
  send(data: string | Uint8Array<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(
    type: 'close',
    listener: (event: { code: number; reason: string }) => void,
  ): void;
}

/** A WebSocket constructor: the global one in browsers, `WebSocket` from `ws` in Node 20. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` of an open WebSocket (the same in browsers and `ws`). */
export const OPEN = 1;

/** Reads one message from the server: a validated frame, or a `PROTOCOL_ERROR` saying why not. */
export function parseServerFrame(data: unknown): ServerFrame | PeerlaneError {
  let raw: unknown;
  try {
    raw = JSON.parse(String(data));
  } catch {
    raw = undefined;
  }
  const parsed = ServerFrame.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.join('.') || 'frame';
  return new PeerlaneError(
    'PROTOCOL_ERROR',
    `unexpected frame from the server (${where}: ${issue?.message ?? 'invalid'})`,
  );
}

/** Reads a binary frame from the server: the sender and the payload, or undefined if malformed. */
export function decodeRelayFrame(
  data: ArrayBuffer,
): { from: string; payload: Uint8Array } | undefined {
  const bytes = new Uint8Array(data);
  if (bytes.byteLength < RELAY_HEADER_BYTES || bytes[0] !== RELAY_DATA) return undefined;
  const from = String.fromCharCode(...bytes.subarray(1, RELAY_HEADER_BYTES));
  return { from, payload: bytes.subarray(RELAY_HEADER_BYTES) };
}
