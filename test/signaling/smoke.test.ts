import { describe, expect, it } from 'vitest';
import { useSignaling } from '../helpers/signaling.js';

describe('createSignalingServer', () => {
  const { start, connect } = useSignaling();
  it('joins two peers and routes a signal', async () => {
    const server = await start();
    const a = await connect(server);
    const b = await connect(server);
    const wa = await a.join('room-1', { meta: { name: 'a' } });
    const wb = await b.join('room-1');
    expect(wb.peers).toEqual([{ id: wa.peerId, meta: { name: 'a' } }]);
    expect((await a.next('peer-joined')).peer.id).toBe(wb.peerId);
    b.send({ type: 'signal', to: wa.peerId, data: { type: 'offer', sdp: 'v=0' } });
    expect(await a.next('signal')).toEqual({
      type: 'signal',
      from: wb.peerId,
      data: { type: 'offer', sdp: 'v=0' },
    });
  });
});
