/**
 * Messages between the benchmark's processes, defined once: the orchestrator talks to a
 * server process and to the load generator over Node's IPC channel.
 */

import type { DriveResult } from '../shared/signal-loop.js';
import type { ServerKind, Summary } from './kinds.js';

/** Orchestrator → server process. */
export type ToServer = { cmd: 'gc'; settleMs: number } | { cmd: 'stop' };

/** Server process → orchestrator. */
export type FromServer =
  | { kind: 'ready'; url: string }
  | { kind: 'gc-done'; heapUsed: number }
  | { kind: 'failed'; error: string };

/** Orchestrator → the speed probe's process. */
export type ToProbe = { cmd: 'probe' } | { cmd: 'exit' };

/** The speed probe's process → orchestrator: how long `speedProbe()` took, in ms. */
export type FromProbe = { kind: 'probe-done'; ms: number };

/** Orchestrator → load generator. Every command gets exactly one final reply. */
export type ToLoad =
  | { cmd: 'hold'; server: ServerKind; url: string; total: number; concurrency: number }
  | { cmd: 'release' }
  | { cmd: 'joins'; server: ServerKind; url: string; count: number; concurrency: number }
  | {
      cmd: 'signals';
      server: ServerKind;
      url: string;
      pairs: number;
      /** Closed loop (null): each pair keeps `window` signals in flight. Else signals/s in all. */
      rate: number | null;
      window: number;
      warmupMs: number;
      durationMs: number;
    }
  | { cmd: 'exit' };

/** Load generator → orchestrator. `mark` is sent mid-`signals`, when measurement starts. */
export type FromLoad =
  | { kind: 'held'; held: number; error: string | null }
  | { kind: 'released' }
  | {
      kind: 'joined';
      /** Socket opened → join acknowledged (welcome / OPEN). */
      connect: Summary;
      /** Join frame sent on an open socket → welcome; null when opening is the join. */
      frame: Summary | null;
      failed: number;
      error: string | null;
    }
  | { kind: 'mark' }
  | ({ kind: 'signaled' } & DriveResult);
