/**
 * The room store over Redis (`room-store.ts`'s interface): Lua scripts for atomic limits,
 * pub/sub with per-room sequence numbers, node liveness, and recovery after Redis comes
 * back or boots late. Over 300 lines on purpose: one implementation of one interface,
 * whose connection states interlock.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { NODE_ID } from './options.js';
import type { LeaveReason, PeerId, RoomName } from './protocol.js';
import { ADD, CLAIM, READ, REMOVE, RESTORE, UPDATE } from './redis-scripts.js';
import type {
  AddResult,
  MemberRecord,
  RoomEvent,
  RoomSnapshot,
  RoomStore,
  StoreListener,
} from './room-store.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** `redis://host:port/db`. */
  url: string;
  /** This node's id. @default random */
  nodeId?: string | undefined;
  /** A node silent this long is dead; its peers are removed `graceMs` later. @default 10000 */
  nodeTtlMs?: number;
  /** How long a dead node's peers may take to resume elsewhere before they are removed. @default 20000 */
  graceMs?: number;
  /** Prefix of every key and channel. @default 'peerlane:' */
  prefix?: string;
}

type Scripts = Redis & {
  plAdd(...args: (string | number)[]): Promise<['OK', number, string[]] | [string]>;
  plRemove(...args: (string | number)[]): Promise<number>;
  plUpdate(...args: (string | number)[]): Promise<number>;
  plClaim(...args: (string | number)[]): Promise<[number, string[]] | null>;
  plRestore(...args: (string | number)[]): Promise<number>;
  plRead(...args: (string | number)[]): Promise<[number, string[]]>;
};

/** How long a Redis command may take before it fails (and a join answers `UNAVAILABLE`). */
export const COMMAND_TIMEOUT_MS = 1000;

/**
 * Room state shared by every node on one Redis: membership in hashes changed only by
 * Lua scripts (limits and writes are atomic), room events on one pub/sub channel per
 * room, frames for a peer on its node's channel. Nodes keep a liveness key; when one
 * goes silent for `nodeTtlMs`, the others remove its peers after `graceMs` (time for them
 * to resume on another node).
 */
export function createRedisStore(options: RedisStoreOptions): RoomStore {
  const nodeId = options.nodeId ?? randomBytes(6).toString('base64url');
  if (!NODE_ID.test(nodeId))
    throw new TypeError(`options.nodeId must match ${NODE_ID} (got ${nodeId})`);
  const ttl = options.nodeTtlMs ?? 10_000;
  const grace = options.graceMs ?? 20_000;
  const p = options.prefix ?? 'peerlane:';
  const key = {
    members: (room: RoomName) => `${p}room:${room}:members`,
    seq: (room: RoomName) => `${p}room:${room}:seq`,
    channel: (room: RoomName) => `${p}room:${room}`,
    rooms: `${p}rooms`,
    nodes: `${p}nodes`,
    alive: (node: string) => `${p}node:${node}:alive`,
    nodeMembers: (node: string) => `${p}node:${node}:members`,
    nodeChannel: (node: string) => `${p}node:${node}`,
    relayChannel: (node: string) => `${p}node:${node}:relay`,
    nodePrefix: `${p}node:`,
  };
  const roomOfChannel = new Map<string, RoomName>();

  // Commands fail at once while Redis is away (a join answers UNAVAILABLE instead of hanging).
  const commandOptions = {
    enableOfflineQueue: false,
    // A Redis that is connected but not answering (frozen, overloaded) must not hang joins.
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    // Signals from many peers publish at once: one write and one Redis wakeup for a batch.
    enableAutoPipelining: true,
  };
  const subscriberOptions = { lazyConnect: true, commandTimeout: COMMAND_TIMEOUT_MS };
  // Relay data has connections of its own, both ways: a relay flood then queues behind
  // itself, never in front of a join's script or a presence event, and when Redis cuts a
  // subscriber whose pub/sub buffer overflowed (client-output-buffer-limit), it cuts the
  // relay's, not the one that carries presence.
  const redis = new Redis(options.url, commandOptions) as Scripts;
  const subscriber = new Redis(options.url, subscriberOptions);
  const relayPublisher = new Redis(options.url, commandOptions);
  const relaySubscriber = new Redis(options.url, subscriberOptions);
  const connections = [redis, subscriber, relayPublisher, relaySubscriber];
  /** The subscriber's channels are live at Redis (not just its socket: see its 'ready'). */
  let listening = false;
  subscriber.on('close', () => {
    listening = false;
  });
  /** The last heartbeat failed (e.g. timed out): not ready, even if the socket is up. */
  let stalled = false;
  redis.defineCommand('plAdd', { numberOfKeys: 4, lua: ADD });
  redis.defineCommand('plRemove', { numberOfKeys: 3, lua: REMOVE });
  redis.defineCommand('plUpdate', { numberOfKeys: 2, lua: UPDATE });
  redis.defineCommand('plClaim', { numberOfKeys: 3, lua: CLAIM });
  redis.defineCommand('plRestore', { numberOfKeys: 4, lua: RESTORE });
  redis.defineCommand('plRead', { numberOfKeys: 2, lua: READ });
  for (const connection of connections) connection.on('error', () => {});

  let listener: StoreListener | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let connectedOnce = false;
  let closed = false;
  const reaping = new Map<string, NodeJS.Timeout>();

  const ref = (room: RoomName, id: PeerId) => `${room} ${id}`;
  const body = (record: MemberRecord) => {
    const { node: _node, ...rest } = record;
    return JSON.stringify(rest);
  };
  const decode = (value: string): MemberRecord => {
    const tab = value.indexOf('\t');
    return {
      ...(JSON.parse(value.slice(tab + 1)) as Omit<MemberRecord, 'node'>),
      node: value.slice(0, tab),
    };
  };

  const relayChannel = Buffer.from(key.relayChannel(nodeId));
  const nodeChannel = Buffer.from(key.nodeChannel(nodeId));
  // Frames for a peer travel as [22-byte peer id][frame]: relay frames untouched, text
  // frames as the JSON the peer will receive, not wrapped in more JSON. Buffers only: a
  // 'message' listener would make ioredis decode every payload to a string.
  relaySubscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
    if (channel.equals(relayChannel) && message.length > 22)
      listener?.deliverRelay(message.toString('latin1', 0, 22), message.subarray(22));
  });
  subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
    try {
      if (channel.equals(nodeChannel)) {
        if (message.length > 22)
          listener?.deliver(message.toString('latin1', 0, 22), message.toString('utf8', 22));
      } else if (roomOfChannel.has(channel.toString())) {
        listener?.roomEvent(decodeEvent(message.toString()));
      }
    } catch {
      // A message that is not ours (someone else publishing on our channels): ignore it.
    }
  });

  async function beat(): Promise<void> {
    await redis.set(key.alive(nodeId), '1', 'PX', ttl);
    await redis.sadd(key.nodes, nodeId);
    for (const node of await redis.smembers(key.nodes)) {
      if (node === nodeId || reaping.has(node)) continue;
      if (await redis.exists(key.alive(node))) continue;
      const timer = setTimeout(() => void reap(node).catch(() => reaping.delete(node)), grace);
      timer.unref();
      reaping.set(node, timer);
    }
  }

  /** Removes `id` from `room`; `onlyOf`: only while it is that node's member ('' whatever node). */
  const removeMember = (room: RoomName, id: PeerId, reason: LeaveReason, onlyOf: string) =>
    redis.plRemove(
      key.members(room),
      key.seq(room),
      key.rooms,
      room,
      id,
      reason,
      key.channel(room),
      ref(room, id),
      key.nodePrefix,
      onlyOf,
    );

  /** Removes a dead node's peers, unless it came back or they resumed elsewhere meanwhile. */
  async function reap(node: string): Promise<void> {
    if (!(await redis.exists(key.alive(node)))) {
      for (const member of await redis.smembers(key.nodeMembers(node))) {
        const [room = '', id = ''] = member.split(' ');
        await removeMember(room, id, 'disconnected', node);
      }
      await redis.srem(key.nodes, node);
    }
    reaping.delete(node);
  }

  /**
   * After a script that adds or moves a member to this node failed here: a command timeout
   * leaves the script in Redis's queue, and it may still run, putting a member in the room
   * that no connection holds (the join was refused). Removes it again if so — queued behind
   * the script on the same connection, and only while it is this node's.
   */
  const takeBack = (room: RoomName, id: PeerId, reason: LeaveReason): void => {
    void removeMember(room, id, reason, nodeId).catch(() => {});
  };

  const snapshotOf = (seq: number, values: string[]): RoomSnapshot => ({
    seq,
    members: values.map(decode),
  });

  return {
    nodeId,
    // A node reconnects on its own backoff, and one that died meanwhile is given up after
    // the same time as any dead node.
    settleMs: ttl + grace,
    get ready() {
      // The relay's connections do not count: a subscriber Redis cut for a relay flood
      // must not turn joins away (relay frames meanwhile are lost, like on a dropped link).
      return connectedOnce && !stalled && redis.status === 'ready' && listening;
    },
    async start(l) {
      listener = l;
      // This node's channels, its first liveness beat, then recovery on every later 'ready'.
      const setUp = async (): Promise<void> => {
        await subscriber.subscribe(key.nodeChannel(nodeId));
        listening = true;
        await relaySubscriber.subscribe(key.relayChannel(nodeId));
        await beat();
        if (closed) return;
        connectedOnce = true;
        // A beat that fails or times out marks the store stalled (not ready) until one succeeds.
        const beating = (): void =>
          void beat().then(
            () => {
              stalled = false;
            },
            () => {
              stalled = true;
            },
          );
        heartbeat = setInterval(beating, Math.max(50, Math.min(1000, Math.floor(ttl / 3))));
        heartbeat.unref();
        redis.on('ready', () => {
          if (closed) return;
          void beat().catch(() => {});
          listener?.recovered('state');
        });
        // Room events published while the subscriber was away (Redis cut it, or the network
        // did) are lost: rebuild presence from the shared state once it is back.
        // ioredis reports 'ready' before its SUBSCRIBEs of the lost connection are answered;
        // a PING queued behind them comes back once they are, and only then does a signal
        // published to this node reach it (until then senders get UNAVAILABLE).
        subscriber.on('ready', () => {
          void subscriber.ping().then(
            () => {
              listening = subscriber.status === 'ready';
              if (!closed && redis.status === 'ready') listener?.recovered('events');
            },
            () => {},
          );
        });
      };
      const connected = await Promise.all(connections.map((c) => c.connect())).then(
        () => true,
        () => false,
      );
      if (connected) {
        await setUp();
        return;
      }
      // Redis down at boot is not fatal: ioredis keeps reconnecting with backoff, and the
      // node is not ready (joins get UNAVAILABLE, /readyz 503) until setUp() has run.
      const whenReady = (): void => {
        redis.once('ready', () => {
          if (!closed) void setUp().catch(whenReady);
        });
      };
      whenReady();
    },
    async watch(room) {
      // Subscribing queues while Redis is away; a join should fail fast instead.
      if (subscriber.status !== 'ready') throw new Error('redis is not connected');
      roomOfChannel.set(key.channel(room), room);
      await subscriber.subscribe(key.channel(room));
    },
    unwatch(room) {
      roomOfChannel.delete(key.channel(room));
      void subscriber.unsubscribe(key.channel(room)).catch(() => {});
    },
    async add(record, { maxRooms, roomLimit }): Promise<AddResult> {
      const { room, id } = record;
      const adding = redis.plAdd(
        key.members(room),
        key.seq(room),
        key.rooms,
        key.nodeMembers(nodeId),
        room,
        id,
        `${nodeId}\t${body(record)}`,
        maxRooms,
        roomLimit,
        key.channel(room),
        ref(room, id),
        nodeId,
        body(record),
      );
      const result = await adding.catch((error: unknown) => {
        takeBack(room, id, 'left');
        throw error;
      });
      if (result[0] !== 'OK')
        return { ok: false, refusal: result[0] as 'ROOM_FULL' | 'TOO_MANY_ROOMS' };
      const [, seq, values] = result as ['OK', number, string[]];
      return { ok: true, ...snapshotOf(seq, values) };
    },
    async remove(room, id, reason: LeaveReason) {
      return (await removeMember(room, id, reason, '')) === 1;
    },
    async update(record) {
      await redis.plUpdate(
        key.members(record.room),
        key.seq(record.room),
        record.id,
        nodeId,
        body(record),
        key.channel(record.room),
      );
    },
    async claim(room, id) {
      const claiming = redis.plClaim(
        key.members(room),
        key.seq(room),
        key.nodeMembers(nodeId),
        id,
        nodeId,
        key.channel(room),
        ref(room, id),
        key.nodePrefix,
      );
      // Its old node lets go of the peer once it is moved: if it is moved here with no one
      // to hold it, it dropped and did not resume.
      const result = await claiming.catch((error: unknown) => {
        takeBack(room, id, 'disconnected');
        throw error;
      });
      return result ? snapshotOf(result[0], result[1]) : undefined;
    },
    send(node, peerId, text) {
      // PUBLISH answers how many subscribers got it: 0 when that node's subscriber is away.
      return redis.publish(key.nodeChannel(node), `${peerId}${text}`).then(
        (receivers) => receivers > 0,
        () => false,
      );
    },
    sendRelay(node, peerId, frame) {
      const message = Buffer.concat([Buffer.from(peerId, 'latin1'), frame]);
      void relayPublisher.publish(key.relayChannel(node), message).catch(() => {});
    },
    async restore(local) {
      for (const [room, { seq, members }] of local) {
        const triples = members.flatMap((m) => [m.id, `${nodeId}\t${body(m)}`, ref(room, m.id)]);
        await redis.plRestore(
          key.members(room),
          key.seq(room),
          key.rooms,
          key.nodeMembers(nodeId),
          room,
          seq,
          key.channel(room),
          ...triples,
        );
      }
      // Give the other nodes a moment to write theirs back before reading the rooms.
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, ttl / 2)));
      return this.read([...local.keys()]);
    },
    async read(rooms) {
      const snapshots = new Map<RoomName, RoomSnapshot>();
      for (const room of rooms) {
        const [seq, values] = await redis.plRead(key.members(room), key.seq(room));
        snapshots.set(room, snapshotOf(seq, values));
      }
      return snapshots;
    },
    async close() {
      closed = true;
      clearInterval(heartbeat);
      for (const timer of reaping.values()) clearTimeout(timer);
      // Declare this node gone so the others start the grace period for its peers now.
      await redis.del(key.alive(nodeId)).catch(() => {});
      for (const connection of connections) connection.disconnect();
    },
  };
}

/** A room event as the scripts publish it (the record without its node, the node beside it). */
function decodeEvent(text: string): RoomEvent {
  const wire = JSON.parse(text) as RoomEvent & {
    node?: string;
    record?: Omit<MemberRecord, 'node'>;
  };
  const { node = '', ...event } = wire;
  return (event.record ? { ...event, record: { ...event.record, node } } : event) as RoomEvent;
}
