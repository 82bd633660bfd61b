import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastJoinFrame } from '../../signaling/fast-join.js';
import { expectFastPathAgrees, odd, text } from '../helpers/fast-path.js';

const room = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_.~-]{1,64}$/),
  text(64),
  fc.constantFrom('', 'a b', 'é', 'x'.repeat(65)),
);
const b64 = (length: number) =>
  fc.oneof(
    fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${length}}$`)),
    fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${length - 1},${length + 1}}$`)),
    fc.string({ maxLength: length }),
  );
const resume = fc.oneof(
  fc.record({ peerId: b64(22), secret: b64(43) }),
  fc.record({ peerId: b64(22), secret: b64(43), extra: odd }, { requiredKeys: [] }),
  odd,
);
const meta = fc.oneof(
  fc.dictionary(
    fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), text(32), fc.constantFrom('', 'a\u0000')),
    fc.oneof(
      fc.string({ maxLength: 10 }),
      text(256),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      odd,
    ),
    { maxKeys: 18 },
  ),
  odd,
);
/** Join frames as clients send them. */
const valid = fc.record(
  {
    type: fc.constant('join'),
    room: fc.stringMatching(/^[A-Za-z0-9_.~-]{1,64}$/),
    v: fc.constantFrom(1, 2),
    meta: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 10 }), {
      maxKeys: 4,
    }),
    resume: fc.record({
      peerId: fc.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      secret: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    }),
    token: fc.string({ maxLength: 40 }),
    ref: fc.string({ maxLength: 64 }),
  },
  { requiredKeys: ['type', 'room'] },
);
/** Frames near that shape, wrong in one or more places. */
const near = fc.record(
  {
    type: fc.constant('join'),
    room: fc.oneof(room, odd),
    v: fc.oneof(fc.integer(), fc.double(), odd),
    meta,
    resume,
    token: fc.oneof(text(8192), odd),
    ref: fc.oneof(text(64), odd),
    extra: odd,
  },
  { requiredKeys: ['type'] },
);

describe('fastJoinFrame', () => {
  it('accepts only what the schema accepts, with the same result', () => {
    expectFastPathAgrees(fastJoinFrame, fc.oneof(valid, near), 2000);
  });

  it('takes the frames the SDK and the benchmark send', () => {
    expect(fastJoinFrame({ type: 'join', room: 'r1' })).toEqual({ type: 'join', room: 'r1' });
    const resume = { peerId: 'A'.repeat(22), secret: 'b'.repeat(43) };
    const full = { type: 'join', room: 'r', v: 1, meta: { name: 'Ann' }, resume, ref: 'join' };
    expect(fastJoinFrame(full)).toEqual(full);
  });

  it('leaves to the schema what it does not take', () => {
    expect(fastJoinFrame({ type: 'join', room: 'a b' })).toBeUndefined();
    expect(fastJoinFrame({ type: 'join', room: 'r', extra: 1 })).toBeUndefined();
    expect(fastJoinFrame({ type: 'join', room: 'r', v: 1.5 })).toBeUndefined();
    expect(fastJoinFrame({ type: 'join', room: 'r', meta: { a: '\u0000' } })).toBeUndefined();
    expect(
      fastJoinFrame({ type: 'join', room: 'r', resume: { peerId: 'x', secret: 'y' } }),
    ).toBeUndefined();
  });
});
