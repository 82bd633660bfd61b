import { type MediaDescription, parse } from 'sdp-transform';
import type { SignalData } from './protocol.js';

/**
 * The publish check: may a peer without `perms.publish` send this session description?
 * Only an SDP that provably sends no audio or video passes. An attacker picks the spelling,
 * and browsers read SDP differently (Chrome matches attribute names case-sensitively and
 * lets the last of repeated directions win; Firefox lowercases them), so whatever a browser
 * could read as sending is refused, and so is whatever two parsers could read differently.
 *
 * sdp-transform (a small, dependency-free parser used by mediasoup and Janus clients) reads
 * the structure: the m= lines and their ports, bundle-only. Its grammar matches attributes
 * by prefix (`a=recvonlyX` reads as recvonly) and keeps only the last of repeated ones, so
 * a strict pass over the raw lines comes first: line breaks, line shape, and the spelling
 * and count of every direction attribute.
 */

const DIRECTIONS = ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const;
type Direction = (typeof DIRECTIONS)[number];
/** Attribute names whose spelling must be exact: the directions and bundle-only. */
const GUARDED = [...DIRECTIONS, 'bundle-only'];
/** Lines quoted in messages are cut to this many characters. */
const QUOTE = 40;

/**
 * Why `data` may publish audio or video (or cannot be shown not to); undefined when it
 * carries no SDP or an SDP in which every audio/video m-section that is not disabled says
 * exactly `a=recvonly` or `a=inactive`, once.
 */
export function publishingReason(data: SignalData): string | undefined {
  if (!('sdp' in data) || data.sdp === undefined) return undefined;
  return judgeSdp(data.sdp);
}

/** {@link publishingReason} for one SDP text. */
export function judgeSdp(sdp: string): string | undefined {
  const lines = splitLines(sdp);
  if (typeof lines === 'string') return lines;
  // Direction attributes, by section: [0] the session level, [i] the i-th m-section.
  const directions: Direction[][] = [[]];
  for (const [index, line] of lines.entries()) {
    const problem = lineProblem(line, index + 1);
    if (problem) return problem;
    if (line.startsWith('m=')) directions.push([]);
    const value = line.slice(2) as Direction;
    if (line.startsWith('a=') && DIRECTIONS.includes(value)) directions.at(-1)?.push(value);
  }
  const media = parse(sdp).media;
  if (media.length !== directions.length - 1) return 'the m= lines cannot be read consistently';
  const session = directions[0] ?? [];
  const sessionSends = session.find((direction) => direction.startsWith('send'));
  for (const [index, section] of media.entries()) {
    const problem = sectionProblem(section, index + 1, directions[index + 1] ?? [], sessionSends);
    if (problem) return problem;
  }
  return undefined;
}

/** The lines of `sdp` (LF or CRLF, never a lone CR), or what is wrong with its line breaks. */
function splitLines(sdp: string): string[] | string {
  const bareCr = sdp.search(/\r(?!\n)/);
  if (bareCr >= 0) {
    const line = sdp.slice(0, bareCr).split('\n').length;
    return `line ${line} holds a carriage return that does not end the line (use CRLF or LF)`;
  }
  const lines = sdp.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** What makes one line ambiguous, if anything. */
function lineProblem(line: string, number: number): string | undefined {
  if (!/^[a-z]=/.test(line)) {
    return `line ${number} is not <lowercase letter>=<value>: ${JSON.stringify(line.slice(0, QUOTE))}`;
  }
  if (!line.startsWith('a=')) return undefined;
  const value = line.slice(2);
  const name = value.trim().toLowerCase();
  const guarded = GUARDED.find((word) => name.startsWith(word));
  if (guarded && value !== guarded) {
    return `line ${number} must read exactly "a=${guarded}": ${JSON.stringify(line.slice(0, QUOTE))}`;
  }
  return undefined;
}

/** Why one m-section may send audio or video, if it may. */
function sectionProblem(
  section: MediaDescription,
  number: number,
  directions: readonly Direction[],
  sessionSends: Direction | undefined,
): string | undefined {
  // sdp-transform leaves the type out when the m= line does not match its grammar.
  const type: unknown = section.type;
  if (typeof type !== 'string') return `the m= line of m-section ${number} cannot be read`;
  const kind = type.toLowerCase();
  if (kind !== 'audio' && kind !== 'video') return undefined;
  // Port 0 rejects (disables) an m-section, unless bundle-only says it shares another's port.
  // A port spelled otherwise ("00", "09") stays a string here, and counts as open.
  const port: unknown = section.port;
  if (port === 0 && section.bundleOnly === undefined) return undefined;
  const where = `m-section ${number} (${kind})`;
  if (sessionSends) return `the session-level a=${sessionSends} applies to ${where}`;
  if (directions.length === 0) {
    return `${where} has no direction attribute, and sendrecv is the default`;
  }
  if (directions.length > 1) {
    const listed = directions.map((direction) => `a=${direction}`).join(', ');
    return `${where} has ${directions.length} direction attributes (${listed}); browsers differ on which applies`;
  }
  const [direction] = directions;
  if (direction === 'sendrecv' || direction === 'sendonly') return `${where} is a=${direction}`;
  return undefined;
}
