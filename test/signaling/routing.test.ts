import { describe, expect, it } from 'vitest';
import { useSignaling } from '../helpers/signaling.js';

const offer = { type: 'offer', sdp: `v=0\r\n${'a=x\r\n'.repeat(600)}` } as const;
const candidate = {
  type: 'candidate',
  candidate: {
    candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
    sdpMid: '0',
    sdpMLineIndex: 0,
  },
} as const;

describe('createSignalingServer', () => {
  const { start, connect } = useSignaling();

  describe('signal', () => {
    it('forwards offers, answers, candidates and renegotiation both ways, stamped with from', async () => {
      const server = await start();
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r');
      const wb = await b.join('r');
      a.send({ type: 'signal', to: wb.peerId, data: offer });
      expect(await b.next('signal')).toEqual({ type: 'signal', from: wa.peerId, data: offer });
      b.send({ type: 'signal', to: wa.peerId, data: { type: 'answer', sdp: 'v=0' } });
      expect(await a.next('signal')).toEqual({
        type: 'signal',
        from: wb.peerId,
        data: { type: 'answer', sdp: 'v=0' },
      });
      b.send({ type: 'signal', to: wa.peerId, data: candidate });
      expect((await a.next('signal')).data).toEqual(candidate);
      a.send({ type: 'signal', to: wb.peerId, data: { type: 'renegotiate', renegotiate: true } });
      expect((await b.next('signal')).data).toEqual({ type: 'renegotiate', renegotiate: true });
      const request = {
        type: 'transceiverRequest',
        transceiverRequest: { kind: 'video', init: {} },
      };
      a.send({ type: 'signal', to: wb.peerId, data: request });
      expect((await b.next('signal')).data).toEqual(request);
    });

    it('delivers signals from one sender in order', async () => {
      const server = await start();
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      await a.join('r');
      const wb = await b.join('r');
      for (let i = 0; i < 100; i++) {
        a.send({
          type: 'signal',
          to: wb.peerId,
          data: { type: 'candidate', candidate: { candidate: `c${i}` } },
        });
      }
      for (let i = 0; i < 100; i++) {
        const frame = await b.next('signal');
        expect(frame.data).toEqual({ type: 'candidate', candidate: { candidate: `c${i}` } });
      }
    });

    it('forwards data in the SDK’s shape as written, and anything after it re-serialized', async () => {
      const server = await start();
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      const wa = await a.join('r');
      const wb = await b.join('r');
      const texts: string[] = [];
      b.ws.on('message', (data, isBinary) => {
        if (!isBinary && String(data).startsWith('{"type":"signal"')) texts.push(String(data));
      });
      // The client escaped CR LF as \u000d\u000a: a serialized copy would say \r\n.
      const data = '{"type":"offer","sdp":"v=0\\u000d\\u000a"}';
      a.send(`{"type":"signal","to":"${wb.peerId}","data":${data}}`);
      // The same data with a member repeated after it: checked, then serialized again.
      a.send(`{"type":"signal","to":"${wb.peerId}","data":${data},"to":"${wb.peerId}"}`);
      for (let i = 0; i < 2; i++) {
        expect((await b.next('signal')).data).toEqual({ type: 'offer', sdp: 'v=0\r\n' });
      }
      expect(texts).toEqual([
        `{"type":"signal","from":"${wa.peerId}","data":${data}}`,
        `{"type":"signal","from":"${wa.peerId}","data":{"type":"offer","sdp":"v=0\\r\\n"}}`,
      ]);
    });

    it('never lets a client set from', async () => {
      const server = await start();
      const [a, b, c] = await Promise.all([connect(server), connect(server), connect(server)]);
      const wa = await a.join('r');
      const wb = await b.join('r');
      const wc = await c.join('r');
      a.send({ type: 'signal', to: wb.peerId, from: wc.peerId, data: offer });
      const received = await b.next('signal');
      expect(received.from).toBe(wa.peerId);
    });

    it('does not route across rooms, and says so', async () => {
      const server = await start();
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      await a.join('red');
      const wb = await b.join('blue');
      a.send({ type: 'signal', to: wb.peerId, data: offer, ref: 's1' });
      expect(await a.next('error')).toEqual({
        type: 'error',
        code: 'PEER_NOT_FOUND',
        message: `peer ${wb.peerId} is not in room "red"`,
        ref: 's1',
      });
      expect(b.unread('signal')).toEqual([]);
    });

    it('answers an unknown or departed target with PEER_NOT_FOUND', async () => {
      const server = await start();
      const [a, b] = await Promise.all([connect(server), connect(server)]);
      await a.join('r');
      const wb = await b.join('r');
      a.send({ type: 'signal', to: 'AAAAAAAAAAAAAAAAAAAAAA', data: offer });
      expect((await a.next('error')).code).toBe('PEER_NOT_FOUND');
      b.send({ type: 'leave' });
      await a.next('peer-left');
      a.send({ type: 'signal', to: wb.peerId, data: offer, ref: 'late' });
      expect(await a.next('error')).toMatchObject({ code: 'PEER_NOT_FOUND', ref: 'late' });
    });

    it('refuses a signal to oneself', async () => {
      const server = await start();
      const a = await connect(server);
      const wa = await a.join('r');
      a.send({ type: 'signal', to: wa.peerId, data: offer });
      expect((await a.next('error')).code).toBe('PEER_NOT_FOUND');
    });

    it('refuses signals before join', async () => {
      const server = await start();
      const a = await connect(server);
      a.send({ type: 'signal', to: 'AAAAAAAAAAAAAAAAAAAAAA', data: offer, ref: 'early' });
      expect(await a.next('error')).toEqual({
        type: 'error',
        code: 'NOT_JOINED',
        message: 'signal needs a room; send join first',
        ref: 'early',
      });
    });
  });
});
