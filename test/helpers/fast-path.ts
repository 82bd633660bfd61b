/**
 * The property a signaling fast path (`fast-join.ts`, `fast-signal.ts`) must hold: what it
 * accepts, the schema (`ClientFrame`) accepts with the same result; and the generator
 * reaches it often enough for that to mean something.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { ClientFrame } from '../../signaling/protocol.js';

/** Values of any JSON type, few and short: for fields that should not take them. */
export const odd = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 5 }),
  fc.array(fc.nat(), { maxLength: 2 }),
  fc.constant({}),
);

/** Strings around a length limit, and short ones with any characters. */
export const text = (max: number) =>
  fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.integer({ min: max - 2, max: max + 2 }).map((n) => 'x'.repeat(n)),
  );

/** Checks `fast` against the schema on 20,000 frames from `frames`; at least `minFast` taken. */
export function expectFastPathAgrees(
  fast: (frame: Record<string, unknown>) => unknown,
  frames: fc.Arbitrary<unknown>,
  minFast: number,
): void {
  let taken = 0;
  fc.assert(
    fc.property(frames, (raw) => {
      const parsed = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
      const result = fast(parsed);
      if (result === undefined) return;
      taken++;
      const schema = ClientFrame.safeParse(parsed);
      expect(schema.success).toBe(true);
      expect(result).toEqual(schema.data);
    }),
    { numRuns: 20_000 },
  );
  expect(taken).toBeGreaterThan(minFast);
}
