import type { SignalingServerOptions } from '../../../signaling/options.js';

/**
 * Peerlane's per-connection and per-address limits, raised for benchmarks: every client
 * comes from 127.0.0.1, at rates no single user would, and the limits are not what is
 * measured.
 */
export const BENCH_LIMITS = {
  rateLimit: 1_000_000,
  rateBurst: 1_000_000,
  maxConnectionsPerIp: 1_000_000,
  maxRoomsPerIp: 1_000_000,
  joinRateLimit: 1_000_000,
  joinRateBurst: 1_000_000,
} as const satisfies SignalingServerOptions;
