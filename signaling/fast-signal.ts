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
  if (!onlyKeys(raw, 3 + (ref === undefined ? 0 : 1), FRAME_KEYS)) return undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const signal = data as Record<string, unknown>;
  const type = signal.type;
  if (type === 'offer' || type === 'answer') {
    const sdp = signal.sdp;
    if (typeof sdp !== 'string' || sdp.length > MAX_SDP || !onlyKeys(signal, 2, SDP_KEYS))
      return undefined;
    const frame: SignalFrame = { type: 'signal', to, data: { type, sdp } };
    if (ref !== undefined) frame.ref = ref;
    return frame;
  }
  if (type === 'candidate') {
    const candidate = signal.candidate;
    if (!onlyKeys(signal, 2, CANDIDATE_KEYS) || !isCandidate(candidate)) return undefined;
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

const FRAME_KEYS: ReadonlySet<string> = new Set(['type', 'to', 'data', 'ref']);
const SDP_KEYS: ReadonlySet<string> = new Set(['type', 'sdp']);
const CANDIDATE_KEYS: ReadonlySet<string> = new Set(['type', 'candidate']);

/**
 * True when `object` has exactly `count` keys, all in `allowed`. A for-in walk allocates
 * nothing; an inherited enumerable key (a polluted prototype) fails the check, which sends
 * the frame to the schema.
 */
function onlyKeys(object: object, count: number, allowed: ReadonlySet<string>): boolean {
  let keys = 0;
  for (const key in object) {
    if (!allowed.has(key)) return false;
    keys++;
  }
  return keys === count;
}
