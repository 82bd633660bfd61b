import { MAX_SDP, PEER_ID_PATTERN, type SignalFrame } from './protocol.js';

/**
 * Signals are nearly all of the traffic, and zod copies every object it parses. This
 * accepts the common shapes of a `signal` frame (an SDP, or a trickled candidate) by
 * hand, and answers undefined for anything else — which then goes through the schema, so
 * the schema stays the definition and its messages the ones clients see. A property test
 * (test/signaling/fast-signal.test.ts) holds it to the schema: whatever this accepts, the
 * schema accepts with the same result.
 */
export function fastSignalFrame(raw: Record<string, unknown>): SignalFrame | undefined {
  const { to, data, ref } = raw;
  if (typeof to !== 'string' || !PEER_ID_PATTERN.test(to)) return undefined;
  if (ref !== undefined && (typeof ref !== 'string' || ref.length > 64)) return undefined;
  if (!onlyKeys(raw, 3 + (ref === undefined ? 0 : 1), 'type', 'to', 'data', 'ref'))
    return undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const signal = data as Record<string, unknown>;
  const type = signal.type;
  if (type === 'offer' || type === 'answer') {
    const sdp = signal.sdp;
    if (typeof sdp !== 'string' || sdp.length > MAX_SDP || !onlyKeys(signal, 2, 'type', 'sdp'))
      return undefined;
    const frame: SignalFrame = { type: 'signal', to, data: { type, sdp } };
    if (ref !== undefined) frame.ref = ref;
    return frame;
  }
  if (type === 'candidate') {
    const candidate = signal.candidate;
    if (!onlyKeys(signal, 2, 'type', 'candidate') || !isCandidate(candidate)) return undefined;
    const frame: SignalFrame = { type: 'signal', to, data: { type, candidate } };
    if (ref !== undefined) frame.ref = ref;
    return frame;
  }
  return undefined;
}

function isCandidate(value: unknown): value is {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
} {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const c = value as Record<string, unknown>;
  let keys = 1;
  if (typeof c.candidate !== 'string' || c.candidate.length > 1024) return false;
  if ('sdpMid' in c) {
    keys++;
    if (c.sdpMid !== null && (typeof c.sdpMid !== 'string' || c.sdpMid.length > 64)) return false;
  }
  if ('sdpMLineIndex' in c) {
    keys++;
    const index = c.sdpMLineIndex;
    if (
      index !== null &&
      !(Number.isInteger(index) && (index as number) >= 0 && (index as number) <= 1024)
    )
      return false;
  }
  if ('usernameFragment' in c) {
    keys++;
    const fragment = c.usernameFragment;
    if (fragment !== null && (typeof fragment !== 'string' || fragment.length > 256)) return false;
  }
  return Object.keys(c).length === keys;
}

/** True when `object` has exactly `count` own keys, all among `allowed`. */
function onlyKeys(object: Record<string, unknown>, count: number, ...allowed: string[]): boolean {
  const keys = Object.keys(object);
  return keys.length === count && keys.every((key) => allowed.includes(key));
}
