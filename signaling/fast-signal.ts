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

/**
 * The JSON text of a signal frame's `data`, exactly as the client sent it, when the frame's
 * text is `{"type":"signal","to":"<to>","data":<data>}` and nothing else (the SDK's own
 * shape: no `ref`, no whitespace, no member after `data`); otherwise undefined. `text` must
 * be valid JSON (it parsed) and its frame one {@link fastSignalFrame} accepted: then that
 * text parses to the very value the frame was checked with, so it can be forwarded as it
 * came, without serializing the data again (an SDP is ~3 KB to escape and encode).
 */
export function signalDataJson(text: string, to: string): string | undefined {
  const prefix = `{"type":"signal","to":"${to}","data":`;
  if (!text.startsWith(prefix) || text.charCodeAt(text.length - 1) !== CLOSE_BRACE) {
    return undefined;
  }
  const end = valueEnd(text, prefix.length);
  return end === text.length - 1 ? text.slice(prefix.length, end) : undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Where the JSON object or array starting at `at` in `text` (valid JSON) ends: the index
 * just past its closing bracket; -1 when no object or array starts there. Strings are
 * skipped whole (`indexOf` finds their closing quote), so only the few characters outside
 * strings are looked at one by one.
 */
function valueEnd(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) return -1;
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = stringEnd(text, i);
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * The index of the quote that closes the string whose opening quote is at `open`; the
 * text's length if none does (not valid JSON: the scan then ends, finding no value).
 */
function stringEnd(text: string, open: number): number {
  let close = text.indexOf('"', open + 1);
  for (;;) {
    if (close < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(close - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return close; // not escaped
    close = text.indexOf('"', close + 1);
  }
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
