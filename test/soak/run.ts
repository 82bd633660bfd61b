/**
 * `npm run soak`: issue #16's attacks (and a presence churn, row 13), all at once, against
 * one server in its own process, for SOAK_MINUTES (default 10), while two bystanders in another room (from another
 * loopback address) exchange a signal every 2 s. Prints what happened and exits 1 if a
 * bystander lost a message or saw presence change, the server died, or its heap did not
 * come back near its baseline. Bounded in time and in connections; not part of CI.
 */
import { connect as tcpConnect } from 'node:net';
import { RawClient } from '../helpers/raw-client.js';
import { startServerProcess } from '../helpers/server-process.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const END = Date.now() + MINUTES * 60_000;
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const counts: Record<string, number> = {};
const count = (what: string, n = 1): void => {
  counts[what] = (counts[what] ?? 0) + n;
};

const server = await startServerProcess({ handshakeTimeoutMs: 2000, resumeGraceMs: 5000 });
const bystander = { localAddress: '127.0.0.2' };
const [a, b] = await Promise.all([
  RawClient.connect(server.url, bystander),
  RawClient.connect(server.url, bystander),
]);
await a.join('bystanders');
const wb = await b.join('bystanders');
await a.next('peer-joined');
const baseline = await server.status();
let failures = 0;

/** Runs `attack` again and again (fresh connections each time, all closed after) until the end. */
async function loop(
  name: string,
  attack: (open: (options?: { localAddress?: string }) => Promise<RawClient>) => Promise<void>,
): Promise<void> {
  while (Date.now() < END) {
    const opened: RawClient[] = [];
    const open = async (options?: { localAddress?: string }): Promise<RawClient> => {
      const client = await RawClient.connect(server.url, options);
      opened.push(client);
      return client;
    };
    try {
      await attack(open);
      count(`${name} rounds`);
    } catch {
      count(`${name} refused or cut`);
      await sleep(200);
    } finally {
      for (const client of opened) client.kill();
    }
  }
}

/** Every 2 s the bystanders exchange a signal; a lost one is a failure. */
async function bystanderChecks(): Promise<void> {
  for (let round = 0; Date.now() < END; round++) {
    a.send({ type: 'signal', to: wb.peerId, data: { type: 'offer', sdp: `soak ${round}` } });
    try {
      await b.next('signal', 5000, (f) => 'sdp' in f.data && f.data.sdp === `soak ${round}`);
      count('bystander messages');
    } catch {
      failures++;
      count('bystander messages lost');
    }
    await sleep(2000);
  }
}

const ABSENT = 'AAAAAAAAAAAAAAAAAAAAAA';

/** The members a connection believes are in its room: its welcome, then each event. */
function believed(client: RawClient): string[] {
  const members = new Set<string>();
  for (const frame of client.frames) {
    if (frame.type === 'welcome') {
      members.clear();
      for (const peer of frame.peers) members.add(peer.id);
    } else if (frame.type === 'peer-joined') members.add(frame.peer.id);
    else if (frame.type === 'peer-left') members.delete(frame.peerId);
  }
  return [...members].sort();
}

await Promise.all([
  bystanderChecks(),
  loop('slowloris', async () => {
    const port = Number(new URL(server.url).port);
    const sockets = Array.from({ length: 20 }, () => tcpConnect({ port, host: '127.0.0.1' }));
    for (const s of sockets) {
      s.on('error', () => {});
      s.write('GET /ws HTTP/1.1\r\nHost: x\r\n');
    }
    await Promise.all(sockets.map((s) => new Promise((resolve) => s.on('close', resolve))));
  }),
  loop('binary flood', async (attacker) => {
    const c = await attacker();
    await c.join(`bin-${Date.now() % 1000}`);
    for (let i = 0; i < 5000 && c.ws.readyState === c.ws.OPEN; i++)
      c.relay(ABSENT, Buffer.from([i]));
    await c.closed;
  }),
  loop('meta flood', async (attacker) => {
    const c = await attacker();
    await c.join('meta-room');
    for (let i = 0; i < 500 && c.ws.readyState === c.ws.OPEN; i++)
      c.send({ type: 'meta', meta: { i } });
    await c.closed;
  }),
  loop('deep init', async (attacker) => {
    const c = await attacker();
    const to = (await c.join('deep')).peers[0]?.id ?? ABSENT;
    const deep = `{"type":"signal","to":"${to}","data":{"type":"transceiverRequest","transceiverRequest":{"kind":"video","init":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}}`;
    for (let i = 0; i < 50 && c.ws.readyState === c.ws.OPEN; i++) c.send(deep);
    await c.closed;
  }),
  loop('churn', async (attacker) => {
    // Row 13: members join, drop, resume and leave; every view must end as the truth.
    const room = `churn-${Date.now() % 100_000}`;
    // From an address of its own: the floods above spend 127.0.0.1's join budget.
    const member = () => attacker({ localAddress: '127.0.0.3' });
    const members = await Promise.all(Array.from({ length: 8 }, member));
    const welcomes = [];
    for (const member of members) welcomes.push(await member.join(room));
    for (const i of [0, 1, 2]) members[i]?.kill();
    const live = members.slice(3);
    for (const i of [0, 1]) {
      const w = welcomes[i];
      const back = await member();
      if (w) await back.join(room, { resume: { peerId: w.peerId, secret: w.secret } });
      live.push(back);
    }
    live[0]?.send({ type: 'leave' });
    await live[0]?.next('left');
    await sleep(500);
    const probe = await member();
    const seen = await probe.join(room);
    for (const member of live.slice(1)) {
      const self = member.frames.find((f) => f.type === 'welcome');
      const truth = seen.peers.map((p) => p.id).filter((id) => id !== self?.peerId);
      // The one dropped and not resumed is still in its grace period: part of the truth.
      const view = believed(member).filter((id) => id !== seen.peerId);
      if (JSON.stringify(view) !== JSON.stringify(truth.sort())) {
        failures++;
        count('churn views wrong');
      }
    }
    await sleep(2500); // 12 joins a round: within the address's join rate (5/s)
  }),
  loop('pending flood', async (attacker) => {
    const [dropped, sender] = await Promise.all([attacker(), attacker()]);
    const room = `pend-${Date.now() % 1000}`;
    const wd = await dropped.join(room);
    await sender.join(room);
    dropped.kill();
    await sleep(100);
    const sdp = 'a'.repeat(40_000);
    for (let i = 0; i < 40; i++)
      sender.send({ type: 'signal', to: wd.peerId, data: { type: 'offer', sdp } });
    await sleep(500);
    sender.kill();
  }),
]);

// Presence: the bystanders saw nobody come or go, and no error.
for (const c of [a, b]) {
  const seen = [...c.unread('peer-joined'), ...c.unread('peer-left'), ...c.unread('peer-updated')];
  if (seen.length > 0 || c.unread('error').length > 0) {
    failures++;
    count('bystander presence or error changes', seen.length + c.unread('error').length);
  }
}
// Memory: once the attackers are gone (and the grace period is over), back near baseline.
await sleep(6000);
const after = await server.status();
const growth = after.heapUsed + after.external - baseline.heapUsed - baseline.external;
const alive = server.alive();
if (!alive || growth > 16 * MiB) failures++;
console.log(
  JSON.stringify(
    {
      minutes: MINUTES,
      ...counts,
      alive,
      heapGrowthMiB: +(growth / MiB).toFixed(1),
      stats: after.stats,
      failures,
    },
    null,
    2,
  ),
);
a.kill();
b.kill();
await server.stop();
process.exit(failures === 0 ? 0 : 1);
