import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SignalingClient } from '../../sdk/client/signaling-client.js';
import { Inbox, Outbox } from '../../sdk/link/message-stream.js';
import { Relay } from '../../sdk/link/relay/relay.js';
import { RelayRoute, SYNC_AFTER_MS } from '../../sdk/link/relay/relay-route.js';
import type { RelaySocket } from '../../sdk/link/relay/relay-socket.js';
import {
  RELAY_DATA,
  RELAY_HEADER_BYTES,
  RELAY_LANE,
  RELAY_MORE_PIECES,
  RELAY_SYNC,
} from '../../signaling/protocol.js';

const KiB = 1024;

/**
 * The part of a signaling client the relay lanes use, with a socket buffer the test
 * drains; `buffers` holds every distinct buffer a relay frame was handed in.
 */
function fakeClient() {
  const sent: Uint8Array[] = [];
  const buffers = new Set<ArrayBufferLike>();
  const client = {
    bufferedAmount: 0,
    canRelay: true,
    sendRelay(frame: Uint8Array) {
      sent.push(frame.slice()); // a WebSocket copies what it sends; the route reuses frames
      buffers.add(frame.buffer);
      client.bufferedAmount += frame.byteLength;
      return true;
    },
    send() {},
  };
  return { client, sent, buffers };
}

/** Relay terms of a 16 KiB window and 4 KiB frames: pieces of 4095 bytes, four per window. */
const SMALL_TERMS = { window: 16 * KiB, maxChunk: 4 * KiB, media: true };

/** A route to 'bbb…' on {@link SMALL_TERMS}. */
function smallRoute(client: ReturnType<typeof fakeClient>['client']): RelayRoute {
  return new RelayRoute(
    'b'.repeat(22),
    SMALL_TERMS,
    client as unknown as SignalingClient,
    () => {},
  );
}

describe('Relay', () => {
  const [b, c] = ['b'.repeat(22), 'c'.repeat(22)];

  /** A relay on a fake signaling socket that goes down and comes back in a new session. */
  function relayOnNewSession() {
    const { client, sent } = fakeClient();
    const socket = Object.assign(new EventEmitter(), client, { resumed: true, canRelay: true });
    const relay = new Relay(socket as unknown as RelaySocket);
    relay.setTerms(SMALL_TERMS);
    // Three whole messages each for b and c, more than a window: some wait for credit.
    for (let i = 0; i < 3; i += 1)
      for (const id of [b, c]) relay.route(id)?.message.send(new Uint8Array(8 * KiB));
    const before = sent.length;
    socket.emit('state', 'reconnecting');
    socket.resumed = false;
    socket.emit('state', 'connected');
    /** Whom each frame sent since the new session went to, in order, runs merged. */
    const since = () =>
      sent
        .slice(before)
        .map((f) => new TextDecoder().decode(f.subarray(1, RELAY_HEADER_BYTES)))
        .filter((to, i, all) => to !== all[i - 1]);
    return { relay, since };
  }

  it('after a new session, sends to no peer until presence says it is on the server too', () => {
    const { relay, since } = relayOnNewSession();
    // c may not be on the new server yet: had its route sent there and c arrived before
    // the frames, the server would have spent credit that the restart then gives again.
    expect(since()).toEqual([]);
    relay.release(b); // the welcome lists b
    expect(since()).toEqual([b]);
    relay.restart(c); // c arrives afresh (`peer-joined`); its route stays held ...
    expect(since()).toEqual([b]);
    relay.release(c); // ... until presence has it
    expect(since()).toEqual([b, c]);
  });

  it('a session that resumed keeps its routes sending', () => {
    const { client, sent } = fakeClient();
    const socket = Object.assign(new EventEmitter(), client, { resumed: true, canRelay: true });
    const relay = new Relay(socket as unknown as RelaySocket);
    relay.setTerms(SMALL_TERMS);
    relay.route(b)?.message.send(new Uint8Array(20 * KiB));
    expect(sent).toHaveLength(4); // 16 KiB of credit
    socket.emit('state', 'reconnecting');
    socket.emit('state', 'connected');
    relay.route(b)?.credit(4 * KiB);
    expect(sent).toHaveLength(5); // the server kept the pair's credit: nothing restarted
  });
});

describe('RelayRoute credit sync', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A route with a 16 KiB window, and what it sent: data pieces, and syncs by number. */
  function route() {
    vi.useFakeTimers();
    const { client, sent } = fakeClient();
    const relay = smallRoute(client);
    const data = () => sent.filter((f) => f[0] === RELAY_DATA).length;
    const syncs = () =>
      sent
        .filter((f) => f[0] === RELAY_SYNC)
        .map((f) => new DataView(f.buffer, f.byteOffset).getUint32(RELAY_HEADER_BYTES));
    /** Queues `count` frames of one piece each (4 KiB of credit each: the window takes 4). */
    const queue = (count: number) => {
      for (let i = 0; i < count; i += 1) relay.bulk.send(new Uint8Array(relay.pieceBytes));
    };
    return { relay, client, data, syncs, queue };
  }

  it('asks the server for its credit after waiting a second for grants that do not come, and takes its count', () => {
    const { relay, data, syncs, queue } = route();
    queue(10);
    expect(data()).toBe(4);
    for (let i = 0; i < 9; i += 1) {
      vi.advanceTimersByTime(SYNC_AFTER_MS / 10);
      relay.credit(10); // the peer's acks granted back: no piece can go, the wait goes on
    }
    vi.advanceTimersByTime(SYNC_AFTER_MS / 10 - 1);
    expect(syncs()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(syncs()).toEqual([1]);
    relay.credit(4 * KiB); // a grant that was on its way: taken, but nothing goes until the answer
    expect(data()).toBe(4);
    relay.synced(8 * KiB, 1); // the server's count: 8 KiB (what was granted before was lost)
    expect(data()).toBe(6);
    vi.advanceTimersByTime(SYNC_AFTER_MS);
    expect(syncs()).toEqual([1, 2]); // still no grant: asked again
    relay.synced(0, 1); // an answer to an older sync: ignored
    expect(data()).toBe(6);
    relay.synced(16 * KiB, 2);
    expect(data()).toBe(10);
    vi.advanceTimersByTime(10 * SYNC_AFTER_MS);
    expect(syncs()).toEqual([1, 2]); // nothing waits: no more syncs
  });

  it('asks again when an answer does not come, and not at all while grants come', () => {
    const { relay, data, syncs, queue } = route();
    queue(10);
    for (let i = 0; i < 5; i += 1) {
      vi.advanceTimersByTime(SYNC_AFTER_MS / 2);
      relay.credit(4 * KiB); // a slow reader, still reading
    }
    expect(data()).toBe(9);
    expect(syncs()).toEqual([]);
    vi.advanceTimersByTime(SYNC_AFTER_MS);
    expect(syncs()).toEqual([1]);
    vi.advanceTimersByTime(SYNC_AFTER_MS); // the answer was lost (the session ended)
    expect(syncs()).toEqual([1, 2]);
    relay.synced(4 * KiB, 2);
    expect(data()).toBe(10);
  });

  it('does not ask while its peer is away, nor after a restart; media waiting for credit asks too', () => {
    const { relay, client, data, syncs, queue } = route();
    queue(10);
    relay.hold();
    vi.advanceTimersByTime(3 * SYNC_AFTER_MS);
    expect(syncs()).toEqual([]);
    client.canRelay = false;
    relay.release();
    vi.advanceTimersByTime(3 * SYNC_AFTER_MS);
    expect(syncs()).toEqual([]); // the socket is down
    client.canRelay = true;
    vi.advanceTimersByTime(SYNC_AFTER_MS);
    expect(syncs()).toEqual([1]);
    relay.restart(); // a new session: credit is the window again, and the sync is void
    expect(data()).toBe(8);
    relay.synced(0, 1);
    expect(data()).toBe(8);
    relay.bulk.close();
    const media = route();
    expect(media.relay.sendMedia(new Uint8Array(20 * KiB), 'video')).toBe(false);
    vi.advanceTimersByTime(SYNC_AFTER_MS);
    expect(media.syncs()).toEqual([1]);
    expect(media.relay.sendMedia(new Uint8Array(100), 'audio')).toBe(false); // until answered
    media.relay.synced(16 * KiB, 1);
    expect(media.relay.sendMedia(new Uint8Array(100), 'audio')).toBe(true);
  });
});

describe('RelayLane', () => {
  it('after a restart of the relay, sends no piece that would finish a frame sent in part, and starts again at the window', () => {
    const { client, sent } = fakeClient();
    const route = smallRoute(client);
    // Pieces of 4095 bytes (a quarter window, less the tag byte): three per 10 KiB frame.
    for (const fill of [1, 2, 3]) route.bulk.send(new Uint8Array(10 * KiB).fill(fill));
    const fills = (frames: Uint8Array[]) => frames.map((f) => f[RELAY_HEADER_BYTES + 1]);
    const more = (frames: Uint8Array[]) =>
      frames.map((f) => ((f[RELAY_HEADER_BYTES] ?? 0) & RELAY_MORE_PIECES) !== 0);
    // 16 KiB of credit: the first frame whole, then the second's first piece.
    expect(fills(sent)).toEqual([1, 1, 1, 2]);
    route.restart(); // the server restarted: what was in flight is lost, credit is new
    // The second frame's other pieces would be put together with the third's start: gone.
    // The third goes whole, on the new window.
    const after = sent.slice(4);
    expect(fills(after)).toEqual([3, 3, 3]);
    expect(more(after)).toEqual([true, true, false]);
  });

  it('never emits drain from inside send(): a sender feeding it from drain loses nothing', async () => {
    const { client, sent } = fakeClient();
    let pollsAsked = 0;
    const peer = new RelayRoute(
      'b'.repeat(22),
      { window: 64 * 1024 * KiB, maxChunk: 64 * KiB - RELAY_HEADER_BYTES, media: true },
      client as unknown as SignalingClient,
      () => {
        pollsAsked += 1;
      },
    );
    const lane = peer.message;
    const outbox = new Outbox(true);
    let drainsDuringSend = 0;
    let sending = false;
    const flush = () => {
      sending = true;
      try {
        if (!outbox.flush(lane)) lane.awaitDrain();
      } finally {
        sending = false;
      }
    };
    lane.on('drain', () => {
      if (sending) drainsDuringSend += 1;
      flush();
    });
    const count = 300;
    for (let i = 0; i < count; i += 1) {
      outbox.push(false, new Uint8Array(64 * KiB).fill(i % 251));
      flush();
      // The socket drains between the application's sends (a browser reports it late).
      if (i % 20 === 19) client.bufferedAmount = 0;
      await Promise.resolve();
    }
    for (let i = 0; i < 100 && outbox.length > 0; i += 1) {
      client.bufferedAmount = 0;
      peer.poll(); // as the relay hub's poll does while a lane waits
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const received: Uint8Array[] = [];
    const inbox = new Inbox(1 << 30, (data) => received.push(data as Uint8Array));
    for (const frame of sent) {
      const payload = frame.subarray(RELAY_HEADER_BYTES + 1);
      if (payload.byteLength > 0) expect(inbox.receive(payload)).toBeUndefined();
    }
    expect(drainsDuringSend).toBe(0);
    expect(received.length).toBe(count);
    expect(received.map((m) => m[0])).toEqual(Array.from({ length: count }, (_, i) => i % 251));
    expect(outbox.queuedBytes).toBe(0);
    // Waiting on the socket's buffer alone, the lane asked to be polled.
    expect(pollsAsked).toBeGreaterThan(0);
  });
});

describe('RelayRoute, sending', () => {
  it('writes a stream over the relay frames it already sent: no new buffer per piece', () => {
    const { client, buffers } = fakeClient();
    const window = 512 * KiB;
    const peer = new RelayRoute(
      'b'.repeat(22),
      { window, maxChunk: 64 * KiB - RELAY_HEADER_BYTES, media: true },
      client as unknown as SignalingClient,
      () => {},
    );
    const frame = new Uint8Array(peer.bulk.maxFrameBytes).fill(7);
    let sent = 0;
    // As a file does: fill the bulk lane to 2 MiB, and again each time it is down to 512 KiB;
    // meanwhile the socket drains and the peer grants what it consumed.
    while (sent < 400) {
      while (peer.bulk.queued < 2048 * KiB) {
        peer.bulk.send(frame);
        sent += 1;
      }
      while (peer.bulk.queued > 512 * KiB) {
        client.bufferedAmount = 0;
        peer.credit(window);
      }
    }
    // What the lanes queue at their high-water marks (3 MiB), and no more.
    expect(buffers.size).toBeLessThanOrEqual(Math.ceil((3072 * KiB) / frame.byteLength) + 1);
    expect(sent).toBeGreaterThan(5 * buffers.size);
  });
});

describe('RelayLane, receiving', () => {
  const route = () =>
    new RelayRoute(
      'b'.repeat(22),
      { window: 512 * KiB, maxChunk: 64 * KiB - RELAY_HEADER_BYTES, media: true },
      fakeClient().client as unknown as SignalingClient,
      () => {},
    );
  /** Two frames of three pieces each; what each `frame` event saw, and its buffer. */
  const receiveTwo = (lane: RelayRoute['bulk']) => {
    const seen: { bytes: number[]; buffer: ArrayBufferLike }[] = [];
    lane.on('frame', (frame) => seen.push({ bytes: [...frame], buffer: frame.buffer }));
    for (const fill of [1, 2]) {
      lane.piece(new Uint8Array([fill, fill]), true);
      lane.piece(new Uint8Array([fill]), true);
      lane.piece(new Uint8Array([fill, fill, fill]), false);
    }
    return seen;
  };

  it('puts a frame together from its pieces in a buffer of its own, for its listener to keep', () => {
    const seen = receiveTwo(route().bulk);
    expect(seen.map((s) => s.bytes)).toEqual([Array(6).fill(1), Array(6).fill(2)]);
    expect(seen[0]?.buffer).not.toBe(seen[1]?.buffer);
  });

  it('lends frames from one buffer once asked to (lendFrames): no new buffer per frame', () => {
    const lane = route().bulk;
    lane.lendFrames();
    const seen = receiveTwo(lane);
    expect(seen.map((s) => s.bytes)).toEqual([Array(6).fill(1), Array(6).fill(2)]);
    expect(seen[0]?.buffer).toBe(seen[1]?.buffer);
  });
});

describe('RelayLane, receiving from a hostile peer or server', () => {
  it('drops a frame whose pieces go on past any frame a lane carries, and keeps none of it', () => {
    const route = new RelayRoute(
      'b'.repeat(22),
      { window: 512 * KiB, maxChunk: 64 * KiB - RELAY_HEADER_BYTES, media: true },
      fakeClient().client as unknown as SignalingClient,
      () => {},
    );
    const seen: number[] = [];
    route.message.on('frame', (frame) => seen.push(frame.byteLength));
    const piece = (more: boolean, bytes: number) => {
      const payload = new Uint8Array(1 + bytes);
      payload[0] = RELAY_LANE.MESSAGE | (more ? RELAY_MORE_PIECES : 0);
      route.receive(payload);
    };
    // 4 MiB of pieces, every one saying more follow: no lane frame is near that large.
    for (let i = 0; i < 64; i += 1) piece(true, 64 * KiB);
    piece(false, 10);
    expect(seen).toEqual([]);
    piece(false, 100); // the next frame arrives as it was sent
    expect(seen).toEqual([100]);
  });
});

describe('RelayRoute, held', () => {
  it('sends no media while its peer is away (held), and says the route is not open for it', () => {
    const { client, sent } = fakeClient();
    const route = smallRoute(client);
    route.hold();
    // The media state every relay link sends each second, call or not.
    expect(route.sendMedia(new Uint8Array(40), 'control')).toBe(false);
    expect(route.sendMedia(new Uint8Array(400), 'audio')).toBe(false);
    expect(sent).toEqual([]);
    expect(route.mediaRoom.open).toBe(false);
    route.release();
    expect(route.mediaRoom.open).toBe(true);
    expect(route.sendMedia(new Uint8Array(40), 'control')).toBe(true);
    expect(sent).toHaveLength(1);
    expect(route.mediaRoom.credit).toBe(SMALL_TERMS.window - 41); // spent once, after release
  });
});

describe('RelayRoute, receiving pieces of a lane it does not know', () => {
  it("drops them (their credit goes back) and puts the message lane's frame together untouched", () => {
    vi.useFakeTimers();
    const { client } = fakeClient();
    const grants: number[] = [];
    client.send = ((frame: { bytes: number }) => grants.push(frame.bytes)) as unknown as () => void;
    const route = smallRoute(client);
    const seen: number[][] = [];
    route.message.on('frame', (frame) => seen.push([...frame]));
    const payload = (tag: number, ...bytes: number[]) => new Uint8Array([tag, ...bytes]);
    route.receive(payload(RELAY_LANE.MESSAGE | RELAY_MORE_PIECES, 1, 1));
    route.receive(payload(4, 9, 9)); // a lane of a later version, or no lane at all
    route.receive(payload(0));
    route.receive(payload(RELAY_LANE.MESSAGE, 2));
    expect(seen).toEqual([[1, 1, 2]]);
    vi.advanceTimersByTime(100);
    vi.useRealTimers();
    expect(grants).toEqual([3 + 3 + 1 + 2]); // every byte read is granted back
  });
});
