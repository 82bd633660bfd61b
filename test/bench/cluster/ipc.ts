/**
 * Messages between the cluster benchmark's processes, defined once: the orchestrator
 * talks to each Peerlane node and to the load generator over Node's IPC channel.
 */
import type { DriveResult } from '../shared/signal-loop.js';
import type { Summary } from '../signaling/kinds.js';

/** The two setups compared: one node with rooms in memory, two nodes sharing a Redis. */
export type Setup = 'memory' | 'redis';

export const SETUPS: readonly Setup[] = ['memory', 'redis'];

/** Orchestrator → node. */
export type ToNode = { cmd: 'stop' };

/** Node → orchestrator. */
export type FromNode = { kind: 'ready'; url: string } | { kind: 'failed'; error: string };

/**
 * The nodes the load generator talks to: `[first, second]`. Peer A of a pair and the
 * joiner connect to the first, peer B and the member already in the room to the second.
 * With one node, both are its URL.
 */
export type NodeUrls = readonly [string, string];

/** Orchestrator → load generator. Every command but `exit` gets exactly one final reply. */
export type ToLoad =
  | {
      cmd: 'joins';
      urls: NodeUrls;
      count: number;
      concurrency: number;
      /** No join starts after this long; the reply then has fewer samples than `count`. */
      budgetMs: number;
    }
  | {
      cmd: 'signals';
      urls: NodeUrls;
      pairs: number;
      window: number;
      warmupMs: number;
      durationMs: number;
    }
  | { cmd: 'exit' };

/** Load generator → orchestrator. `mark` is sent mid-`signals` and mid-`joins`, when measuring starts. */
export type FromLoad =
  | { kind: 'mark' }
  | {
      kind: 'joined';
      /** Join frame sent on an open socket → its welcome. */
      frame: Summary;
      /** Socket opening started → welcome. */
      connect: Summary;
      /** Join frame sent → `peer-joined` at the member already in the room (other node). */
      presence: Summary;
      /** Measured joins, and the wall time they took in all. */
      seconds: number;
      failed: number;
      error: string | null;
    }
  | ({ kind: 'signaled' } & DriveResult);
