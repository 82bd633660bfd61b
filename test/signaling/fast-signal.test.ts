import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastSignalFrame } from '../../signaling/fast-signal.js';
import { MAX_SDP } from '../../signaling/protocol.js';
import { expectFastPathAgrees, odd, text } from '../helpers/fast-path.js';

const id = fc.oneof(
  fc.constant('AAAAAAAAAAAAAAAAAAAAAA'),
  fc.stringMatching(/^[A-Za-z0-9_-]{20,24}$/),
);
const candidate = fc.record(
  {
    candidate: fc.oneof(text(1024), odd),
    sdpMid: fc.oneof(text(64), fc.constant(null), odd),
    sdpMLineIndex: fc.oneof(fc.integer({ min: -2, max: 1030 }), fc.constant(null), odd),
    usernameFragment: fc.oneof(text(256), fc.constant(null), odd),
    extra: odd,
  },
  { requiredKeys: [] },
);
const data = fc.oneof(
  fc.record(
    {
      type: fc.constantFrom('offer', 'answer', 'pranswer'),
      sdp: fc.oneof(text(MAX_SDP), odd),
      extra: odd,
    },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    { type: fc.constant('candidate'), candidate: fc.oneof(candidate, odd), extra: odd },
    { requiredKeys: ['type'] },
  ),
  odd,
);
/** Well-formed signals, which the fast path should take. */
const valid = fc.record(
  {
    type: fc.constant('signal'),
    to: fc.constant('AAAAAAAAAAAAAAAAAAAAAA'),
    data: fc.oneof(
      fc.record({ type: fc.constantFrom('offer', 'answer'), sdp: fc.string({ maxLength: 50 }) }),
      fc.record({
        type: fc.constant('candidate'),
        candidate: fc.record(
          {
            candidate: fc.string({ maxLength: 50 }),
            sdpMid: fc.oneof(fc.string({ maxLength: 5 }), fc.constant(null)),
            sdpMLineIndex: fc.oneof(fc.nat(1024), fc.constant(null)),
            usernameFragment: fc.oneof(fc.string({ maxLength: 5 }), fc.constant(null)),
          },
          { requiredKeys: ['candidate'] },
        ),
      }),
    ),
    ref: fc.string({ maxLength: 64 }),
  },
  { requiredKeys: ['type', 'to', 'data'] },
);
/** Frames near that shape, wrong in one or more places. */
const near = fc.record(
  {
    type: fc.constant('signal'),
    to: fc.oneof(id, odd),
    data,
    ref: fc.oneof(text(64), odd),
    from: id,
  },
  { requiredKeys: ['type'] },
);
const frame = fc.oneof(valid, near);

describe('fastSignalFrame', () => {
  it('accepts only what the schema accepts, with the same result', () => {
    expectFastPathAgrees(fastSignalFrame, frame, 500);
  });

  it('takes the common offer, answer and candidate shapes', () => {
    const to = 'AAAAAAAAAAAAAAAAAAAAAA';
    expect(
      fastSignalFrame({ type: 'signal', to, data: { type: 'offer', sdp: 'v=0' } }),
    ).toBeDefined();
    expect(
      fastSignalFrame({ type: 'signal', to, data: { type: 'answer', sdp: 'v=0' }, ref: 'r' }),
    ).toBeDefined();
    const c = {
      candidate: 'candidate:1 1 udp 1 127.0.0.1 1 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
      usernameFragment: 'u',
    };
    expect(
      fastSignalFrame({ type: 'signal', to, data: { type: 'candidate', candidate: c } }),
    ).toBeDefined();
  });
});
