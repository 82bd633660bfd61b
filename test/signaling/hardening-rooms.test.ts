import { describe, expect, it } from 'vitest';
import { bystanders } from '../helpers/bystander.js';
import type { RawClient } from '../helpers/raw-client.js';
import { useSignaling } from '../helpers/signaling.js';

describe('hardening: rooms (issue #16)', () => {
  const { start, connect } = useSignaling();

  it('row 4: caps the rooms one address may hold, and a room stops counting when its peers go', async () => {
    const maxRoomsPerIp = 5;
    const server = await start({
      maxRoomsPerIp,
      maxRooms: 20,
      resumeGraceMs: 100,
      joinRateBurst: 100,
    });
    const others = await bystanders(server, connect); // one room, from 127.0.0.2
    // 30 idle sockets from one address, each in a room of its own.
    const idle: RawClient[] = [];
    const codes: string[] = [];
    for (let i = 0; i < 30; i++) {
      const client = await connect(server);
      idle.push(client);
      client.send({ type: 'join', room: `squat-${i}`, ref: `${i}` });
      await expect.poll(() => client.frames.length).toBeGreaterThan(0);
      const answer = client.frames[0];
      codes.push(answer?.type === 'error' ? answer.code : String(answer?.type));
    }
    expect(codes.filter((c) => c === 'welcome')).toHaveLength(maxRoomsPerIp);
    expect(codes.filter((c) => c === 'TOO_MANY_ROOMS')).toHaveLength(30 - maxRoomsPerIp);
    expect(idle[maxRoomsPerIp]?.unread('error')).toEqual([
      {
        type: 'error',
        code: 'TOO_MANY_ROOMS',
        message: 'peers from your address are in 5 rooms already (maxRoomsPerIp)',
        ref: `${maxRoomsPerIp}`,
      },
    ]);
    // Joining a room the address is already in is fine; newcomers elsewhere are not starved.
    expect((await idle[29]?.join('squat-0'))?.peers).toHaveLength(1);
    await others.check(); // the bystanders' newcomer makes a room of its own
    expect(server.stats().rooms).toBe(1 + maxRoomsPerIp);
    // When the squatters go (and their grace runs out), their rooms stop counting.
    for (const client of idle.slice(0, maxRoomsPerIp)) client.kill();
    await expect.poll(() => server.stats().rooms, { timeout: 5000 }).toBe(2);
    const back = await connect(server);
    expect((await back.join('squat-new')).peers).toEqual([]);
    await others.check();
  });
});
