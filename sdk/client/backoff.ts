/** Reconnect timing, resolved. */
export interface ReconnectSettings {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  maxAttempts: number;
}

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential from `initialDelayMs`
 * by `factor`, capped at `maxDelayMs`, then jittered to a random point in its upper half
 * so that clients dropped together do not come back together.
 */
export function reconnectDelay(
  attempt: number,
  settings: ReconnectSettings,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    settings.maxDelayMs,
    settings.initialDelayMs * settings.factor ** attempt,
  );
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
