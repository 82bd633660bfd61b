import wrtc from '@roamhq/wrtc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SignalData } from '../../signaling/protocol.js';
import { RawClient } from '../helpers/raw-client.js';
import { type RedisProcess, startRedis } from '../helpers/redis.js';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js';

const NODE_TTL_MS = 1000;
const GRACE_MS = 1500;

/** Opens a real WebRTC data channel between two raw clients, signalling through their nodes. */
async function openDataChannel(
  a: RawClient,
  aId: string,
  b: RawClient,
  bId: string,
): Promise<string> {
  const pcA = new wrtc.RTCPeerConnection({ iceServers: [] });
  const pcB = new wrtc.RTCPeerConnection({ iceServers: [] });
  const wire = (pc: RTCPeerConnection, client: RawClient, to: string) => {
    pc.onicecandidate = ({ candidate }) => {
      if (candidate)
        client.send({
          type: 'signal',
          to,
          data: { type: 'candidate', candidate: candidate.toJSON() },
        });
    };
    client.ws.on('message', async (raw) => {
      const frame = JSON.parse(String(raw)) as { type: string; data?: SignalData };
      if (frame.type !== 'signal' || !frame.data) return;
      const data = frame.data;
      if (data.type === 'candidate')
        await pc.addIceCandidate(data.candidate as RTCIceCandidateInit);
      else if (data.type === 'offer' || data.type === 'answer') {
        await pc.setRemoteDescription(data);
        if (data.type === 'offer') {
          await pc.setLocalDescription(await pc.createAnswer());
          client.send({
            type: 'signal',
            to,
            data: { type: 'answer', sdp: pc.localDescription?.sdp ?? '' },
          });
        }
      }
    });
  };
  wire(pcA, a, bId);
  wire(pcB, b, aId);
  const received = new Promise<string>((resolve) => {
    pcB.ondatachannel = ({ channel }) => {
      channel.onmessage = ({ data }) => resolve(String(data));
    };
  });
  const channel = pcA.createDataChannel('test');
  channel.onopen = () => channel.send('hello across nodes');
  await pcA.setLocalDescription(await pcA.createOffer());
  a.send({
    type: 'signal',
    to: bId,
    data: { type: 'offer', sdp: pcA.localDescription?.sdp ?? '' },
  });
  try {
    return await Promise.race([
      received,
      new Promise<string>((_, reject) =>
        setTimeout(() => reject(new Error('no data channel within 10 s')), 10_000),
      ),
    ]);
  } finally {
    pcA.close();
    pcB.close();
  }
}

const metric = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

describe('createSignalingServer with redisUrl', { timeout: 40_000 }, () => {
  let redis: RedisProcess;
  let nodes: ServerProcess[] = [];
  const clients: RawClient[] = [];

  beforeEach(async () => {
    redis = await startRedis();
    nodes = await Promise.all(
      [1, 2, 3].map((n) =>
        startServerProcess({
          redisUrl: redis.url,
          nodeId: `node-${n}`,
          nodeTtlMs: NODE_TTL_MS,
          resumeGraceMs: GRACE_MS,
        }),
      ),
    );
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.kill();
    await Promise.all(nodes.map((node) => node.stop()));
    await redis.stop();
  });

  const connect = async (node: ServerProcess | undefined): Promise<RawClient> => {
    if (!node) throw new Error('no such node');
    const client = await RawClient.connect(node.url);
    clients.push(client);
    return client;
  };

  it('lets peers on different nodes meet, signal, and open a WebRTC data channel', async () => {
    const [a, b, c] = await Promise.all(nodes.map(connect));
    if (!a || !b || !c) throw new Error('no clients');
    const wa = await a.join('r', { meta: { name: 'on node 1' } });
    const wb = await b.join('r');
    expect(wb.peers).toEqual([{ id: wa.peerId, meta: { name: 'on node 1' } }]);
    expect((await a.next('peer-joined')).peer.id).toBe(wb.peerId);
    const wc = await c.join('r');
    expect(wc.peers.map((p) => p.id).sort()).toEqual([wa.peerId, wb.peerId].sort());
    expect((await a.next('peer-joined')).peer.id).toBe(wc.peerId);
    expect((await b.next('peer-joined')).peer.id).toBe(wc.peerId);

    c.send({ type: 'signal', to: wa.peerId, data: { type: 'offer', sdp: 'from node 3' } });
    expect(await a.next('signal')).toEqual({
      type: 'signal',
      from: wc.peerId,
      data: { type: 'offer', sdp: 'from node 3' },
    });
    c.send({ type: 'meta', meta: { name: 'renamed' } });
    expect((await a.next('peer-updated')).peer).toEqual({
      id: wc.peerId,
      meta: { name: 'renamed' },
    });

    // Relay frames and their credit cross nodes too.
    a.relay(wc.peerId, Buffer.from('relayed across nodes'));
    const [relayed] = await c.relayed(1);
    expect(relayed?.toString('latin1', 1, 23)).toBe(wa.peerId);
    expect(relayed?.subarray(23).toString()).toBe('relayed across nodes');
    // c grants back what it read (a grant beyond what it was sent would not count).
    const read = 'relayed across nodes'.length;
    c.send({ type: 'relay-credit', to: wa.peerId, bytes: read });
    expect(await a.next('relay-credit')).toEqual({
      type: 'relay-credit',
      from: wc.peerId,
      bytes: read,
    });

    expect(await openDataChannel(a, wa.peerId, b, wb.peerId)).toBe('hello across nodes');
    expect((await nodes[0]?.status())?.stats).toEqual({ connections: 1, rooms: 1, peers: 1 });
  });

  it('enforces room limits across nodes', async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    nodes = await Promise.all(
      [1, 2].map((n) =>
        startServerProcess({ redisUrl: redis.url, nodeId: `small-${n}`, maxPeersPerRoom: 2 }),
      ),
    );
    const [a, b, c] = await Promise.all([connect(nodes[0]), connect(nodes[1]), connect(nodes[0])]);
    await a.join('r');
    await b.join('r');
    c.send({ type: 'join', room: 'r' });
    expect(await c.next('error')).toMatchObject({ code: 'ROOM_FULL' });
  });

  it('reports the peers of a killed node as left within the node TTL plus the grace period', async () => {
    const [a, b] = await Promise.all([connect(nodes[0]), connect(nodes[1])]);
    await a.join('r');
    const wb = await b.join('r');
    await a.next('peer-joined');
    const killed = Date.now();
    await nodes[1]?.kill();
    // Until then b is still in the room, on a node nobody hears: a signal to it is
    // answered with UNAVAILABLE, not dropped unsaid.
    a.send({ type: 'signal', to: wb.peerId, data: { type: 'offer', sdp: 'x' }, ref: 'to b' });
    expect(await a.next('error', 5000)).toMatchObject({ code: 'UNAVAILABLE', ref: 'to b' });
    const left = await a.next('peer-left', NODE_TTL_MS * 2 + GRACE_MS + 3000);
    expect(left).toEqual({ type: 'peer-left', peerId: wb.peerId, reason: 'disconnected' });
    const took = Date.now() - killed;
    console.log(
      `cluster: killed node's peer reported left after ${took} ms (TTL ${NODE_TTL_MS} + grace ${GRACE_MS})`,
    );
    expect(took).toBeGreaterThanOrEqual(GRACE_MS);
  });

  it('lets a client move to another node and resume without a leave/join flap', async () => {
    const [a, b] = await Promise.all([connect(nodes[0]), connect(nodes[1])]);
    const wa = await a.join('r');
    const wb = await b.join('r');
    await a.next('peer-joined');
    b.kill(); // network loss on node 2's side
    const moved = await connect(nodes[2]);
    const welcome = await moved.join('r', { resume: { peerId: wb.peerId, secret: wb.secret } });
    expect(welcome).toMatchObject({ peerId: wb.peerId, resumed: true, peers: [{ id: wa.peerId }] });
    a.send({ type: 'signal', to: wb.peerId, data: { type: 'offer', sdp: 'to the new node' } });
    expect((await moved.next('signal')).data).toEqual({ type: 'offer', sdp: 'to the new node' });
    moved.send({ type: 'signal', to: wa.peerId, data: { type: 'answer', sdp: 'back' } });
    expect((await a.next('signal')).from).toBe(wb.peerId);
    // Long enough for node 2's grace period to have run out: it must not announce anything.
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS + 500));
    expect(a.unread('peer-left')).toEqual([]);
    expect(a.unread('peer-joined')).toEqual([]);
    expect((await nodes[1]?.status())?.stats.peers).toBe(0);
  });

  it('sends clients of a node that shuts down to another node, where they resume silently', async () => {
    const [a, b] = await Promise.all([connect(nodes[0]), connect(nodes[1])]);
    const wa = await a.join('r');
    const wb = await b.join('r');
    await a.next('peer-joined');
    await nodes[1]?.close();
    expect((await b.closed).code).toBe(1001);
    const back = await connect(nodes[2]);
    expect(
      await back.join('r', { resume: { peerId: wb.peerId, secret: wb.secret } }),
    ).toMatchObject({ resumed: true });
    back.send({ type: 'signal', to: wa.peerId, data: { type: 'offer', sdp: 'after the move' } });
    expect((await a.next('signal')).from).toBe(wb.peerId);
    await new Promise((resolve) => setTimeout(resolve, NODE_TTL_MS + GRACE_MS + 500));
    expect(a.unread('peer-left')).toEqual([]);
  });

  it('recovers rooms after Redis restarts, and shows the outage in readiness and metrics', async () => {
    const [a, b] = await Promise.all([connect(nodes[0]), connect(nodes[1])]);
    const wa = await a.join('r');
    const wb = await b.join('r');
    await a.next('peer-joined');
    const node1 = nodes[0];
    if (!node1) throw new Error('no node');
    expect((await node1.status()).ready).toBe(true);
    expect(metric((await node1.status()).metrics, 'peerlane_store_up')).toBe(1);

    await redis.stop();
    await expect.poll(async () => (await node1.status()).ready, { timeout: 5000 }).toBe(false);
    expect(metric((await node1.status()).metrics, 'peerlane_store_up')).toBe(0);
    const refused = await connect(nodes[2]);
    refused.send({ type: 'join', room: 'r', ref: 'during outage' });
    expect(await refused.next('error', 5000)).toMatchObject({
      code: 'UNAVAILABLE',
      ref: 'during outage',
    });
    // A signal to a peer on another node cannot cross: its sender hears so, with the ref.
    a.send({
      type: 'signal',
      to: wb.peerId,
      data: { type: 'offer', sdp: 'during the outage' },
      ref: 'crossing',
    });
    expect(await a.next('error', 10_000)).toMatchObject({ code: 'UNAVAILABLE', ref: 'crossing' });

    await redis.restart();
    // Every node reconnects on its own backoff; b's must listen again before a signal to b
    // can reach it (one sent earlier is answered with UNAVAILABLE, as above).
    for (const node of nodes.slice(0, 2)) {
      await expect.poll(async () => (await node.status()).ready, { timeout: 10_000 }).toBe(true);
    }
    expect(metric((await node1.status()).metrics, 'peerlane_store_up')).toBe(1);
    // Give the nodes their moment to write their peers back, then check the room is whole.
    await expect
      .poll(
        async () => {
          const probe = await connect(nodes[2]);
          const welcome = await probe.join('r');
          probe.kill();
          return welcome.peers.map((p) => p.id).sort();
        },
        { timeout: 10_000, interval: 500 },
      )
      .toEqual(expect.arrayContaining([wa.peerId, wb.peerId].sort()));
    a.send({ type: 'signal', to: wb.peerId, data: { type: 'offer', sdp: 'after the outage' } });
    expect((await b.next('signal', 5000)).data).toEqual({ type: 'offer', sdp: 'after the outage' });
  });

  it('keeps a room whole when a node writes its peers back late after Redis restarts', async () => {
    const [a, b] = await Promise.all([connect(nodes[0]), connect(nodes[1])]);
    const wa = await a.join('r');
    const wb = await b.join('r');
    await a.next('peer-joined');
    const [node1, node2] = nodes;
    if (!node1 || !node2) throw new Error('no nodes');
    await redis.stop();
    await expect.poll(async () => (await node1.status()).ready, { timeout: 5000 }).toBe(false);
    // Node 2 sleeps through Redis coming back: node 1 writes its peer back and reads the
    // room without b, as on a loaded host where node 2's reconnect backoff runs long.
    node2.child.kill('SIGSTOP');
    try {
      await redis.restart();
      await expect.poll(async () => (await node1.status()).ready, { timeout: 10_000 }).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      node2.child.kill('SIGCONT');
    }
    await expect.poll(async () => (await node2.status()).ready, { timeout: 10_000 }).toBe(true);
    a.send({ type: 'signal', to: wb.peerId, data: { type: 'offer', sdp: 'a to b' } });
    expect((await b.next('signal', 5000)).data).toEqual({ type: 'offer', sdp: 'a to b' });
    b.send({ type: 'signal', to: wa.peerId, data: { type: 'answer', sdp: 'b to a' } });
    expect((await a.next('signal', 5000)).data).toEqual({ type: 'answer', sdp: 'b to a' });
    // Past the settling time (node TTL + grace): b was never taken for gone.
    await new Promise((resolve) => setTimeout(resolve, NODE_TTL_MS + GRACE_MS + 500));
    expect(a.unread('peer-left')).toEqual([]);
    expect(b.unread('peer-left')).toEqual([]);
    const probe = await connect(nodes[2]);
    expect((await probe.join('r')).peers.map((p) => p.id).sort()).toEqual(
      [wa.peerId, wb.peerId].sort(),
    );
  });
});
