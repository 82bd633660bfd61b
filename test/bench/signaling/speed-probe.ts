import { createHash } from 'node:crypto';
import { dataTemplate } from './payloads.js';

const OFFER = `{"type":"signal","to":"AAAAAAAAAAAAAAAAAAAAAA","data":${dataTemplate('offer')}}`;
const BLOCK = Buffer.alloc(1 << 20, 7);

/**
 * A fixed piece of a signaling server's kind of work — parsing and re-serializing 1,000
 * SDP frames, hashing 8 MiB — timed in ms. Run in a process of its own on the servers'
 * core before and after each signal run: this VM has slow spells (the same work taking up
 * to 1.5× as long, for tens of seconds or most of an hour), and a server whose probe reads
 * well over another's was measured on a slower machine.
 */
export function speedProbe(): number {
  const started = performance.now();
  let length = 0;
  for (let i = 0; i < 1000; i++) {
    const frame = JSON.parse(OFFER) as { data: unknown };
    length += JSON.stringify({ type: 'signal', from: 'x', data: frame.data }).length;
  }
  const hash = createHash('sha256');
  for (let i = 0; i < 8; i++) hash.update(BLOCK);
  hash.digest();
  const ms = performance.now() - started;
  if (length === 0) throw new Error('unreachable: keeps the loop from being dropped');
  return ms;
}
