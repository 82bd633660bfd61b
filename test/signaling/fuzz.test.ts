import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientFrame, ServerFrame } from '../../signaling/protocol.js';
import { RawClient } from '../helpers/raw-client.js';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js';

const MAX_PAYLOAD = 64 * 1024;
const RUNS = 4000;

/** Values a hostile client might put in any field. */
const hostile = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant('__proto__'),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.anything({ maxDepth: 2 }), { maxKeys: 5 }),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 5 }),
);
const room = fc.oneof(fc.constantFrom('fuzz-a', 'fuzz-b', 'fuzz.c'), hostile);
const peerId = fc.oneof(
  fc.constantFrom('AAAAAAAAAAAAAAAAAAAAAA', 'zzzzzzzzzzzzzzzzzzzzzz'),
  hostile,
);
const signalData = fc.oneof(
  fc.record({
    type: fc.constantFrom('offer', 'answer'),
    sdp: fc.oneof(fc.string({ maxLength: 200 }), hostile),
  }),
  fc.record({
    type: fc.constant('candidate'),
    candidate: fc.oneof(fc.record({ candidate: hostile }), hostile),
  }),
  fc.record({
    type: fc.constant('renegotiate'),
    renegotiate: fc.oneof(fc.constant(true), hostile),
  }),
  fc.anything({ maxDepth: 3 }),
);
/** Frames of the right shape with hostile values, as JSON. */
const shapedFrame = fc
  .oneof(
    fc.record(
      {
        type: fc.constant('join'),
        room,
        meta: fc.oneof(
          fc.dictionary(fc.string({ maxLength: 40 }), hostile, { maxKeys: 20 }),
          hostile,
        ),
        v: fc.oneof(fc.constant(1), hostile),
        resume: fc.oneof(fc.record({ peerId, secret: hostile }), hostile),
        token: hostile,
        ref: hostile,
      },
      { requiredKeys: ['type', 'room'] },
    ),
    fc.record(
      { type: fc.constant('signal'), to: peerId, data: signalData, from: hostile },
      { requiredKeys: ['type'] },
    ),
    fc.record({ type: fc.constant('meta'), meta: fc.anything({ maxDepth: 3 }) }),
    fc.record({ type: fc.constantFrom('leave', 'ping'), ref: hostile }, { requiredKeys: ['type'] }),
    fc.record({ type: hostile, room, data: hostile }),
  )
  .map((frame) => JSON.stringify(frame));
/** Frames that are not even well-formed. */
const garbage = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
  fc.integer({ min: 1, max: 200_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc
    .integer({ min: 1, max: 20_000 })
    .map((n) => `{"type":"signal","data":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`),
  // transceiverRequest.init nested up to 20,000 deep (only 4 levels are allowed).
  fc
    .integer({ min: 1, max: 20_000 })
    .map(
      (n) =>
        `{"type":"signal","to":"AAAAAAAAAAAAAAAAAAAAAA","data":{"type":"transceiverRequest","transceiverRequest":{"kind":"audio","init":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}}}`,
    ),
  // Relay (binary) frames: a right or wrong kind byte, a peer id or junk, any payload.
  fc
    .tuple(
      fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 255 })),
      fc.oneof(
        fc.constantFrom('AAAAAAAAAAAAAAAAAAAAAA', 'zzzzzzzzzzzzzzzzzzzzzz'),
        fc.string({ unit: 'binary', maxLength: 30 }),
      ),
      fc.uint8Array({ maxLength: 4000 }),
    )
    .map(([kind, id, payload]) =>
      Buffer.concat([Buffer.from([kind]), Buffer.from(id, 'latin1'), payload]),
    ),
  fc
    .integer({ min: MAX_PAYLOAD - 100, max: 5 * MAX_PAYLOAD })
    .map((n) => JSON.stringify({ type: 'ping', ref: 'x'.repeat(n) })),
  fc
    .tuple(shapedFrame, fc.nat(), fc.string({ maxLength: 3 }))
    .map(
      ([text, at, insert]) =>
        text.slice(0, at % (text.length + 1)) + insert + text.slice((at % (text.length + 1)) + 1),
    ),
);

/** What the client should expect: an error for anything the protocol does not accept. */
function mustBeRefused(frame: string | Buffer): boolean {
  if (typeof frame !== 'string') return true;
  if (Buffer.byteLength(frame) > MAX_PAYLOAD) return true;
  try {
    return !ClientFrame.safeParse(JSON.parse(frame)).success;
  } catch {
    return true;
  }
}

describe('createSignalingServer', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({
      maxPayload: MAX_PAYLOAD,
      rateLimit: 1_000_000,
      rateBurst: 1_000_000,
      maxViolations: 1_000_000,
      metaRateLimit: 1_000_000,
      maxRoomsPerIp: 1_000_000,
      joinRateLimit: 1_000_000,
      joinRateBurst: 1_000_000,
      resumeGraceMs: 0,
    });
  });
  afterAll(() => server.stop());

  it('survives thousands of random and mutated frames, answering each bad one with an error code', async () => {
    const [calmA, calmB] = await Promise.all([
      RawClient.connect(server.url),
      RawClient.connect(server.url),
    ]);
    await calmA.join('calm');
    const wb = await calmB.join('calm');
    const baseline = await server.status();

    let client = await RawClient.connect(server.url);
    let tried = 0;
    let refused = 0;
    let cut = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(shapedFrame, garbage), async (frame) => {
        tried++;
        const expectError = mustBeRefused(frame);
        const before = client.frames.length;
        client.send(frame);
        client.send({ type: 'ping', ref: `probe-${tried}` });
        try {
          await client.next('pong', 5000, (pong) => pong.ref === `probe-${tried}`);
        } catch (error) {
          // Only a frame far over maxPayload may cost the connection (1009).
          const closed = await client.closed;
          expect(closed.code, String(error)).toBe(1009);
          expect(Buffer.byteLength(frame)).toBeGreaterThan(4 * MAX_PAYLOAD);
          cut++;
          client = await RawClient.connect(server.url);
          return;
        }
        const answers = client.frames.slice(before);
        for (const answer of answers) {
          expect(ServerFrame.safeParse(answer).success, JSON.stringify(answer)).toBe(true);
          // A hostile frame is refused for what it is, never by a server failure.
          expect(answer.type === 'error' && answer.code, JSON.stringify(answer)).not.toBe(
            'INTERNAL_ERROR',
          );
        }
        if (expectError) {
          expect(
            answers.some((a) => a.type === 'error'),
            JSON.stringify(answers),
          ).toBe(true);
          refused++;
        }
        if (tried % 200 === 0) {
          calmA.send({
            type: 'signal',
            to: wb.peerId,
            data: { type: 'offer', sdp: `still-here-${tried}` },
          });
          expect((await calmB.next('signal')).data).toEqual({
            type: 'offer',
            sdp: `still-here-${tried}`,
          });
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    client.kill();
    await expect
      .poll(async () => (await server.status()).stats, { timeout: 5000 })
      .toEqual({
        connections: 2,
        rooms: 1,
        peers: 2,
      });
    const after = await server.status();
    const growth = after.heapUsed - baseline.heapUsed;
    console.log(
      `fuzz: ${tried} frames tried, ${refused} refused with an error code, ${cut} connections cut for size, ` +
        `server heap growth ${(growth / 1024 / 1024).toFixed(1)} MiB`,
    );
    expect(server.alive()).toBe(true);
    expect(growth).toBeLessThan(16 * 1024 * 1024);
    expect(calmA.unread('error')).toEqual([]);
    calmA.kill();
    calmB.kill();
  }, 120_000);
});
