import { randomBytes } from 'node:crypto';
import wrtc from '@roamhq/wrtc';
import { afterEach } from 'vitest';
import { WebSocket } from 'ws';
import {
  type JoinRoomOptions,
  joinRoom,
  type MessageData,
  type Room,
  type RoomEvents,
  type WebRtcImplementation,
} from '../../sdk/index.js';
import { sha256Hex } from './files.js';

/** Options of {@link useRooms}'s `join`: everything but `url`, with `room` defaulting to 'test-room'. */
export type TestJoinOptions = Omit<JoinRoomOptions, 'url' | 'room'> & { room?: string };

/**
 * Per-test SDK rooms in Node: `join(url)` joins with @roamhq/wrtc and `ws`; every room is
 * left after each test (which closes its peer connections).
 */
export function useRooms() {
  const rooms: Room[] = [];
  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((room) => room.leave()));
  });
  return {
    async join(url: string, options: TestJoinOptions = {}): Promise<Room> {
      const room = await joinRoom({ url, room: 'test-room', wrtc, WebSocket, ...options });
      rooms.push(room);
      return room;
    },
  };
}

/**
 * Resolves with the arguments of the next `event` of `room` that `filter` accepts; rejects
 * after `timeoutMs`.
 */
export function nextEvent<K extends keyof RoomEvents>(
  room: Room,
  event: K,
  filter: (...args: Parameters<RoomEvents[K]>) => boolean = () => true,
  timeoutMs = 5000,
): Promise<Parameters<RoomEvents[K]>> {
  return new Promise((resolve, reject) => {
    const listener = ((...args: Parameters<RoomEvents[K]>) => {
      if (!filter(...args)) return;
      clearTimeout(timer);
      room.off(event, listener);
      resolve(args);
    }) as RoomEvents[K];
    const timer = setTimeout(() => {
      room.off(event, listener);
      reject(new Error(`no "${String(event)}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    room.on(event, listener);
  });
}

/**
 * Like {@link nextEvent} over several rooms: resolves with the first room (and the event's
 * arguments) where `event` happens and `filter` accepts it.
 */
export function firstEvent<K extends keyof RoomEvents>(
  rooms: Room[],
  event: K,
  filter: (...args: Parameters<RoomEvents[K]>) => boolean = () => true,
  timeoutMs = 5000,
): Promise<[Room, ...Parameters<RoomEvents[K]>]> {
  return new Promise((resolve, reject) => {
    const listeners = rooms.map((room) => {
      const listener = ((...args: Parameters<RoomEvents[K]>) => {
        if (!filter(...args)) return;
        done();
        resolve([room, ...args]);
      }) as RoomEvents[K];
      room.on(event, listener);
      return [room, listener] as const;
    });
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no "${String(event)}" event in any room within ${timeoutMs} ms`));
    }, timeoutMs);
    function done() {
      clearTimeout(timer);
      for (const [room, listener] of listeners) room.off(event, listener);
    }
  });
}

/** Polls `check` every 10 ms until it is true; throws after `timeoutMs`. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** True when every room sees every other one as a connected peer. */
export function meshConnected(rooms: Room[]): boolean {
  return rooms.every((room) =>
    rooms.every((other) => other === room || room.peer(other.selfId)?.state === 'connected'),
  );
}

/**
 * True when every room has a WebRTC connection (`direct` or `turn`) to every other one:
 * messages start on the relay at once, so `connected` alone may mean the relay.
 */
export function meshDirect(rooms: Room[]): boolean {
  return rooms.every((room) =>
    rooms.every((other) => {
      if (other === room) return true;
      const peer = room.peer(other.selfId);
      return (
        peer?.state === 'connected' && (peer.transport === 'direct' || peer.transport === 'turn')
      );
    }),
  );
}

/**
 * A file of 24 random MiB from `from` to `to` (accepted into a Blob), once its first 4 MiB
 * are confirmed: a transfer under way, for a test to break something under it.
 * `hashes()` waits for both ends and answers the SHA-256 of what arrived and of what left.
 */
export async function fileUnderWay(from: Room, to: Room, name: string) {
  const MiB = 1024 * 1024;
  const file = randomBytes(24 * MiB);
  const received = nextEvent(to, 'incoming-file').then(([incoming]) => incoming.accept().done);
  const sending = from.peer(to.selfId)?.sendFile(new Blob([file]), { name });
  if (!sending) throw new Error(`${from.selfId} does not know ${to.selfId}`);
  await waitUntil(() => sending.progress.bytesConfirmed >= 4 * MiB, '4 MiB confirmed', 20_000);
  return {
    sending,
    async hashes(): Promise<[arrived: string, sent: string]> {
      await sending.done;
      const blob = (await received) as Blob;
      return [sha256Hex(new Uint8Array(await blob.arrayBuffer())), sha256Hex(file)];
    },
  };
}

/** Every message a room receives, with the sender's id, in arrival order. */
export function recordMessages(room: Room): Array<{ data: MessageData; from: string }> {
  const received: Array<{ data: MessageData; from: string }> = [];
  room.on('message', (data, peer) => received.push({ data, from: peer.id }));
  return received;
}

/**
 * @roamhq/wrtc with an RTCPeerConnection that records each instance it makes and each
 * offer it creates, so tests can tell which side offered and that a connection survived.
 */
export function recordingWrtc(): WebRtcImplementation & {
  connections: RTCPeerConnection[];
  offers: RTCOfferOptions[];
} {
  const connections: RTCPeerConnection[] = [];
  const offers: RTCOfferOptions[] = [];
  class RecordingPeerConnection extends wrtc.RTCPeerConnection {
    constructor(config?: RTCConfiguration) {
      super(config);
      connections.push(this);
      const createOffer = this.createOffer.bind(this);
      this.createOffer = ((options?: RTCOfferOptions) => {
        offers.push(options ?? {});
        return createOffer(options);
      }) as RTCPeerConnection['createOffer'];
    }
  }
  return {
    RTCPeerConnection: RecordingPeerConnection as typeof RTCPeerConnection,
    RTCSessionDescription: wrtc.RTCSessionDescription,
    RTCIceCandidate: wrtc.RTCIceCandidate,
    connections,
    offers,
  };
}

/** Room options that reconnect signaling within ~100 ms, for tests that cut sockets. */
export const fastReconnect = { reconnect: { initialDelayMs: 20, maxDelayMs: 100 } };

/**
 * `ws`'s WebSocket, recording each socket the SDK opens (so a test can cut one) and able
 * to swallow the SDK's outgoing pings (a connection that looks open but is dead), everything
 * it sends (`dropAll`: what was written to a connection that died is lost with it) or to
 * refuse new connections (a network that stays down).
 */
export function controlledWebSocket() {
  const sockets: WebSocket[] = [];
  const control = { dropPings: false, refuse: false, dropAll: false };
  class ControlledWebSocket extends WebSocket {
    constructor(url: string) {
      super(control.refuse ? 'ws://127.0.0.1:1/refused' : url);
      sockets.push(this);
    }
    override send(data: string): void {
      if (control.dropAll) return;
      if (control.dropPings && data.includes('"type":"ping"')) return;
      super.send(data);
    }
  }
  return { WebSocket: ControlledWebSocket, sockets, control };
}
