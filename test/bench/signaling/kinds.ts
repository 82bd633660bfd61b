/** Names shared by the signaling benchmark's processes (no imports, so no cycles). */

/** The servers under test. */
export type ServerKind = 'peerlane' | 'bare' | 'peerserver';

/** Percentiles of a latency sample, in milliseconds. */
export interface Summary {
  count: number;
  p50: number;
  p99: number;
}

export const SERVER_KINDS: readonly ServerKind[] = ['peerlane', 'bare', 'peerserver'];
