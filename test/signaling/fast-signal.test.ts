import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastSignalFrame, signalDataJson } from '../../signaling/fast-signal.js';
import { parseClientFrame } from '../../signaling/frames.js';
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

describe('signalDataJson', () => {
  const FROM = 'BBBBBBBBBBBBBBBBBBBBBB';
  /** What the server forwards for `text`: as `delivery.signal` builds it, either way. */
  const forwarded = (text: string) => {
    const parsed = parseClientFrame(Buffer.from(text), 1 << 20);
    if (!parsed.ok || parsed.frame.type !== 'signal') return undefined;
    const checked = JSON.stringify({ type: 'signal', from: FROM, data: parsed.frame.data });
    const { dataJson } = parsed;
    if (dataJson === undefined)
      return { checked, dataJson, raw: undefined, data: parsed.frame.data };
    const raw = `{"type":"signal","from":"${FROM}","data":${dataJson}}`;
    return { checked, dataJson, raw, data: parsed.frame.data };
  };
  /** Text variants of a frame's JSON: spaces, escapes, members repeated after `data`. */
  const variant = fc.tuple(frame, fc.nat(), fc.integer({ min: 0, max: 6 })).map(([f, at, how]) => {
    const text = JSON.stringify(f);
    const cut = text.length > 1 ? 1 + (at % (text.length - 1)) : 0;
    switch (how) {
      case 0:
        return { text, after: false };
      case 1: // a space (or invalid JSON mid-token)
        return { text: `${text.slice(0, cut)} ${text.slice(cut)}`, after: false };
      case 2: {
        const to = JSON.stringify((f as { to?: unknown }).to ?? 'x');
        return { text: `${text.slice(0, -1)},"to":${to}}`, after: 'to' in (f as object) };
      }
      case 3: {
        const data = `{"type":"offer","sdp":"\\"}"}`; // a quote and a brace in a string
        return { text: `${text.slice(0, -1)},"data":${data}}`, after: 'data' in (f as object) };
      }
      case 4:
        return { text: `${text.slice(0, -1)},"type":"signal"}`, after: true };
      case 5: {
        const escaped = (c: string) => `\\u00${c.charCodeAt(0).toString(16)}`;
        return { text: text.replace(/[a-z](?=[a-z]*")/, escaped), after: false };
      }
      default:
        return { text: `${text.slice(0, -1)} }`, after: true };
    }
  });

  it('forwards only text that parses to the checked data, and takes the SDK’s own shape', () => {
    let raw = 0;
    let asWritten = 0;
    let membersAfter = 0;
    fc.assert(
      fc.property(variant, ({ text, after }) => {
        const out = forwarded(text);
        if (out && after) {
          // Checked, with something after its data: serialized, never forwarded as it came.
          membersAfter++;
          expect(out.raw).toBeUndefined();
        }
        if (!out?.raw) return;
        raw++;
        // The data's text alone is one JSON value (no member smuggled after it), the value
        // that was checked; the frame forwarded parses as the serialized one does.
        expect(JSON.parse(out.dataJson as string)).toStrictEqual(out.data);
        expect(JSON.parse(out.raw)).toStrictEqual(JSON.parse(out.checked));
        if (out.raw !== out.checked) asWritten++; // the client's spaces or escapes, kept
      }),
      { numRuns: 20_000 },
    );
    expect(raw).toBeGreaterThan(150);
    expect(membersAfter).toBeGreaterThan(150);
    expect(asWritten).toBeGreaterThan(0);
  });

  it('finds the end of data past quotes, backslashes and brackets inside strings', () => {
    const to = 'AAAAAAAAAAAAAAAAAAAAAA';
    // Each an SDP as JSON text, escapes and all.
    const sdps = ['"v=0\\r\\n"', '"a \\"}"', '"\\\\"', '"\\\\\\"]}"', '"{["', '"x\\u0022}"'];
    for (const sdp of sdps) {
      const data = `{"type":"offer","sdp":${sdp}}`;
      const text = `{"type":"signal","to":"${to}","data":${data}}`;
      expect(JSON.parse(text).data.type, sdp).toBe('offer'); // valid JSON
      expect(signalDataJson(text, to), sdp).toBe(data);
    }
    // A member after data, another order: serialized from the checked value instead.
    const data = '{"type":"offer","sdp":"a\\\\"}';
    const after = `{"type":"signal","to":"${to}","data":${data},"data":${data}}`;
    expect(signalDataJson(after, to)).toBeUndefined();
    expect(signalDataJson(`{"to":"${to}","type":"signal","data":${data}}`, to)).toBeUndefined();
  });
});
