import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../signaling/protocol.js';
import { useSignaling } from '../helpers/signaling.js';

const id = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Each bad frame, the code it must earn, and a fragment of the message that explains it. */
const cases: Array<[name: string, frame: string | Buffer, code: ErrorCode, message: string]> = [
  ['not JSON', 'hello', 'BAD_JSON', 'frame is not valid JSON'],
  ['truncated JSON', '{"type":"join"', 'BAD_JSON', 'frame is not valid JSON'],
  [
    'binary (relay) frame outside a room',
    Buffer.from([1, 2, 3]),
    'NOT_JOINED',
    'relay frames need a room',
  ],
  ['JSON array', '[1,2]', 'INVALID_FRAME', 'must be a JSON object'],
  ['JSON null', 'null', 'INVALID_FRAME', 'must be a JSON object'],
  ['JSON string', '"join"', 'INVALID_FRAME', 'must be a JSON object'],
  ['no type', '{"room":"r"}', 'UNKNOWN_TYPE', 'frame has no string "type"'],
  ['unknown type', '{"type":"explode"}', 'UNKNOWN_TYPE', 'unknown frame type "explode"'],
  ['type not a string', '{"type":42}', 'UNKNOWN_TYPE', 'frame has no string "type"'],
  ['server-only type', '{"type":"welcome"}', 'UNKNOWN_TYPE', 'unknown frame type "welcome"'],
  ['join without room', '{"type":"join"}', 'INVALID_FRAME', 'join: room:'],
  ['empty room name', '{"type":"join","room":""}', 'INVALID_FRAME', 'room must be 1–64 characters'],
  [
    'room name too long',
    JSON.stringify({ type: 'join', room: 'x'.repeat(65) }),
    'INVALID_FRAME',
    'room must be 1–64',
  ],
  ['room name with slash', '{"type":"join","room":"a/b"}', 'INVALID_FRAME', 'room must be 1–64'],
  [
    'room name with newline',
    '{"type":"join","room":"a\\nb"}',
    'INVALID_FRAME',
    'room must be 1–64',
  ],
  ['meta not an object', '{"type":"join","room":"r","meta":"me"}', 'INVALID_FRAME', 'join: meta:'],
  [
    'meta nested',
    '{"type":"join","room":"r","meta":{"a":{"b":1}}}',
    'INVALID_FRAME',
    'join: meta.a:',
  ],
  [
    'meta too big',
    JSON.stringify({
      type: 'join',
      room: 'r',
      meta: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'v'.repeat(200)])),
    }),
    'INVALID_FRAME',
    'meta must serialize to at most 1024 bytes',
  ],
  [
    'meta too many keys',
    JSON.stringify({
      type: 'join',
      room: 'r',
      meta: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i])),
    }),
    'INVALID_FRAME',
    'at most 16 keys',
  ],
  ['version not a number', '{"type":"join","room":"r","v":"1"}', 'INVALID_FRAME', 'join: v:'],
  [
    'resume with bad id',
    '{"type":"join","room":"r","resume":{"peerId":"x","secret":"y"}}',
    'INVALID_FRAME',
    'peer id must be 22 base64url',
  ],
  [
    'signal without to',
    '{"type":"signal","data":{"type":"offer","sdp":""}}',
    'INVALID_FRAME',
    'signal: to:',
  ],
  ['signal without data', `{"type":"signal","to":"${id}"}`, 'INVALID_FRAME', 'signal: data:'],
  [
    'signal with unknown data type',
    `{"type":"signal","to":"${id}","data":{"type":"bogus"}}`,
    'INVALID_FRAME',
    'signal: data.type:',
  ],
  [
    'offer without sdp',
    `{"type":"signal","to":"${id}","data":{"type":"offer"}}`,
    'INVALID_FRAME',
    'signal: data.sdp:',
  ],
  [
    'candidate of wrong shape',
    `{"type":"signal","to":"${id}","data":{"type":"candidate","candidate":"c"}}`,
    'INVALID_FRAME',
    'signal: data.candidate:',
  ],
  [
    'ref too long',
    JSON.stringify({ type: 'ping', ref: 'r'.repeat(65) }),
    'INVALID_FRAME',
    'ping: ref:',
  ],
  [
    'deep nesting',
    `{"type":"signal","to":"${id}","data":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    'INVALID_FRAME',
    'signal: data:',
  ],
  ['leave outside a room', '{"type":"leave"}', 'NOT_JOINED', 'leave needs a room'],
  ['meta outside a room', '{"type":"meta","meta":{}}', 'NOT_JOINED', 'meta needs a room'],
  [
    'frame over maxPayload',
    JSON.stringify({ type: 'ping', pad: 'x'.repeat(70_000) }),
    'FRAME_TOO_LARGE',
    'the limit is 65536',
  ],
];

describe('createSignalingServer', () => {
  const { start, connect } = useSignaling();

  describe('malformed frames', () => {
    it.each(cases)(
      'answers %s with its code, and the connection keeps working',
      async (_name, frame, code, message) => {
        const server = await start();
        const [bad, bystander] = await Promise.all([connect(server), connect(server)]);
        const wb = await bystander.join('quiet');
        bad.send(frame);
        const error = await bad.next('error');
        expect(error.code).toBe(code);
        expect(error.message).toContain(message);
        // The offender's connection still works, and nobody else heard anything.
        bad.send({ type: 'ping', ref: 'after' });
        expect(await bad.next('pong')).toEqual({ type: 'pong', ref: 'after' });
        expect(bystander.frames).toEqual([wb]);
      },
    );

    it('echoes the ref of a frame it could parse but not accept', async () => {
      const server = await start();
      const client = await connect(server);
      client.send({ type: 'join', room: '!!', ref: 'mine' });
      expect(await client.next('error')).toMatchObject({ code: 'INVALID_FRAME', ref: 'mine' });
    });
  });
});
