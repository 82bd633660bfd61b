/**
 * The link's state machine on a fake clock: two links (alice, the initiator, and bob) over
 * in-memory lanes, with direct routes the test opens, breaks and fails by hand. Each test
 * reads as a story of what the link does; the whole file runs in milliseconds.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionState, MediaState, MessageData, TransportKind } from '../../sdk/api.js';
import type { PeerlaneError } from '../../sdk/errors.js';
import type { Lane } from '../../sdk/link/lane.js';
import {
  type Direct,
  type DirectHooks,
  Link,
  type LinkOptions,
  RELAY_SILENCE_MS,
} from '../../sdk/link/link.js';
import { type MemoryLane, memoryLanePair } from '../helpers/memory-lanes.js';

const FALLBACK_MS = 5000;
const RETRY_MS = 15_000;
const STALL_MS = 2000;
const CALL_FILE_PACE = 1024 * 1024;

/** A direct route whose state the test sets; its lanes are paired by {@link Net.connect}. */
class FakeDirect implements Direct {
  state: ConnectionState = 'connecting';
  message: MemoryLane;
  bulk: MemoryLane;
  media = undefined;
  closed = false;
  stalls = 0;
  /** The `since` of the last stall: the peer heard after it means the path works. */
  stalledSince: number | undefined;
  constructor(
    readonly hooks: DirectHooks,
    lanes: { message: MemoryLane; bulk: MemoryLane },
  ) {
    this.message = lanes.message;
    this.bulk = lanes.bulk;
  }
  signal(): void {}
  signalingRestored(): void {}
  /** As the real route with the peer unheard: a connected one goes `reconnecting`. */
  stalled(since: number): void {
    this.stalls += 1;
    this.stalledSince = since;
    if (this.state === 'connected') this.set('reconnecting');
  }
  isNewSession(): boolean {
    return false;
  }
  /** What the selected candidate pair goes through (a test may move it onto TURN). */
  kind: 'direct' | 'turn' = 'direct';
  async transportKind() {
    return this.kind;
  }
  async stats() {
    return undefined;
  }
  close(): void {
    this.closed = true;
    this.state = 'closed';
  }
  set(state: ConnectionState): void {
    this.state = state;
    if (state !== 'closed' && state !== 'failed') this.hooks.onState(state);
  }
  fail(reason = 'the connection closed'): void {
    this.state = 'failed';
    this.hooks.onFail(reason);
  }
}

/** One side: its link, what it received, and every direct route it made. */
interface Side {
  link: Link;
  received: MessageData[];
  transports: TransportKind[];
  states: ConnectionState[];
  errors: PeerlaneError[];
  media: MediaState[];
  bulks: Lane[];
  directs: FakeDirect[];
}

/** Two sides and the wires between them. */
class Net {
  readonly alice: Side;
  readonly bob: Side;
  readonly relayMessage = memoryLanePair();
  readonly relayBulk = memoryLanePair();

  readonly #options: Partial<Omit<LinkOptions, 'relay'>> & { relay?: boolean };

  constructor(options: Partial<Omit<LinkOptions, 'relay'>> & { relay?: boolean } = {}) {
    this.#options = options;
    this.alice = this.#side(true, 0, options);
    this.bob = this.#side(false, 1, options);
  }

  /**
   * Alice's link is closed and made anew, as a room does when it gave the peer up (presence
   * lost it for longer than presenceGraceMs) and meets it again with the same id.
   */
  renewAlice(): void {
    this.alice.link.close();
    const fresh = this.#side(true, 0, this.#options);
    this.alice.link = fresh.link;
    this.alice.received = fresh.received;
  }

  /** Opens the newest direct route of each side to the other (both at the same moment). */
  connect(): void {
    const a = this.alice.directs.at(-1);
    const b = this.bob.directs.at(-1);
    if (!a || !b) throw new Error('no direct route to connect');
    for (const [x, y] of [
      [a.message, b.message],
      [a.bulk, b.bulk],
    ] as const) {
      x.peer = y;
      y.peer = x;
      x.openNow();
      y.openNow();
    }
    a.set('connected');
    b.set('connected');
  }

  /** The newest direct route works again (an ICE restart on the same connection). */
  restore(): void {
    for (const side of [this.alice, this.bob]) {
      const direct = side.directs.at(-1);
      direct?.message.openNow();
      direct?.bulk.openNow();
      direct?.set('connected');
    }
  }

  /** Cuts the newest direct route: in-flight frames are lost, both sides see `state`. */
  cut(state: 'reconnecting' | 'failed'): void {
    for (const side of [this.alice, this.bob]) {
      const direct = side.directs.at(-1);
      if (!direct) continue;
      direct.message.cut();
      direct.bulk.cut();
      if (state === 'failed') direct.fail();
      else direct.set('reconnecting');
    }
  }

  #side(
    initiator: boolean,
    end: 0 | 1,
    settings: Partial<Omit<LinkOptions, 'relay'>> & { relay?: boolean },
  ) {
    const { relay, ...options } = settings;
    const side: Side = {
      received: [],
      transports: [],
      states: [],
      errors: [],
      media: [],
      bulks: [],
      directs: [],
    } as unknown as Side;
    side.link = new Link({
      remoteId: initiator ? 'bob' : 'alice',
      initiator,
      mode: 'auto',
      maxMessageBytes: 1024 * 1024,
      relayFallbackMs: FALLBACK_MS,
      directRetryMs: RETRY_MS,
      stallMs: STALL_MS,
      callFilePace: CALL_FILE_PACE,
      relay:
        relay === false
          ? undefined
          : { message: this.relayMessage[end], bulk: this.relayBulk[end] },
      createDirect: (hooks) => {
        const [message] = memoryLanePair(false);
        const [bulk] = memoryLanePair(false);
        const direct = new FakeDirect(hooks, { message, bulk });
        side.directs.push(direct);
        return direct;
      },
      onMessage: (data) => side.received.push(data),
      onState: (state) => side.states.push(state),
      onTransport: (transport) => side.transports.push(transport),
      onError: (error) => side.errors.push(error),
      onMedia: (media) => side.media.push(media),
      onBulk: (lane) => side.bulks.push(lane),
      ...options,
    });
    return side;
  }
}

/** Lets every lane deliver what waits (memory lanes deliver on a later macrotask). */
const settle = () => vi.advanceTimersByTimeAsync(50);

/** Sends `count` numbered messages from `side`, starting after `from`. */
function sendNumbers(side: Side, from: number, count: number): number {
  for (let i = from + 1; i <= from + count; i += 1)
    side.link.send(true, new TextEncoder().encode(`${i}`));
  return from + count;
}

const numbers = (side: Side) => side.received.map((m) => Number(m));
const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Alice and Bob connected directly; Alice's bulk lane holds what is sent on it. */
async function pausedBulk() {
  const net = new Net();
  net.connect();
  await settle();
  const direct = net.alice.directs[0];
  if (!direct) throw new Error('no direct route');
  direct.bulk.paused = true;
  return { net, direct };
}

describe('Link (fake clock, in-memory lanes)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('goes to the relay for good when no RTCPeerConnection can be made, telling why once', async () => {
    let attempts = 0;
    const refusal = new DOMException('bad ICE URL', 'SyntaxError');
    const net = new Net({
      createDirect: () => {
        attempts += 1;
        throw refusal;
      },
    });
    expect(net.alice.errors).toEqual([]); // told in a task of its own, not in the constructor
    const sent = sendNumbers(net.alice, 0, 3);
    await settle();
    expect(numbers(net.bob)).toEqual(oneToN(sent));
    expect(net.alice.link.transport).toBe('relay');
    expect(net.alice.link.state).toBe('connected');
    // Not left `connecting`: no direct route is coming (and this test's relay has no media).
    expect(net.alice.link.media).toMatchObject({ state: 'unavailable', reason: 'NO_DIRECT_PATH' });
    expect(net.alice.errors.map((e) => [e.code, e.peerId, e.cause])).toEqual([
      ['NO_WEBRTC', 'bob', refusal],
    ]);
    await vi.advanceTimersByTimeAsync(FALLBACK_MS + 3 * RETRY_MS);
    expect(attempts).toBe(2); // one per side, never again
    expect(net.alice.errors).toHaveLength(1);
    expect(net.alice.link.transport).toBe('relay');
  });

  it('fails with NO_WEBRTC when no RTCPeerConnection can be made and there is no relay', async () => {
    const net = new Net({
      relay: false,
      createDirect: () => {
        throw new DOMException('bad ICE URL', 'SyntaxError');
      },
    });
    await settle();
    expect(net.alice.link.state).toBe('failed');
    expect(net.alice.states).toEqual(['failed']);
    expect(net.alice.errors.map((e) => e.code)).toEqual(['NO_WEBRTC']);
    expect(net.alice.errors[0]?.message).toContain('bad ICE URL');
  });

  it('starts messages on the relay at once and moves them to direct the moment it opens', async () => {
    const net = new Net();
    sendNumbers(net.alice, 0, 3);
    await settle();
    expect(numbers(net.bob)).toEqual([1, 2, 3]); // no wait for ICE
    expect(net.alice.link.state).toBe('connected');
    expect(net.alice.link.transport).toBe('relay');
    expect(net.alice.link.media).toEqual({ state: 'connecting' });
    expect(net.alice.link.bulk).toBe(net.relayBulk[0]); // files too
    await vi.advanceTimersByTimeAsync(250);
    net.connect();
    const sent = sendNumbers(net.alice, 3, 3);
    await settle();
    expect(numbers(net.bob)).toEqual(oneToN(sent));
    expect(net.alice.transports).toEqual(['relay', 'direct']);
    expect(net.bob.link.transport).toBe('direct');
    expect(net.alice.link.bulk).toBe(net.alice.directs[0]?.bulk);
    expect(net.bob.link.bulk).toBe(net.bob.directs[0]?.bulk);
    expect(net.alice.media).toEqual([{ state: 'available', route: 'direct' }]);
    // Nothing more on the relay once direct is open.
    const onRelay = net.relayMessage[0].sent.length;
    sendNumbers(net.alice, sent, 10);
    await vi.advanceTimersByTimeAsync(FALLBACK_MS * 2);
    expect(net.relayMessage[0].sent).toHaveLength(onRelay);
  });

  it('gives up on the first direct route at relayFallbackMs: media is unavailable, the relay carries on', async () => {
    const net = new Net();
    await vi.advanceTimersByTimeAsync(FALLBACK_MS - 1);
    expect(net.alice.link.media.state).toBe('connecting');
    await vi.advanceTimersByTimeAsync(1);
    expect(net.alice.link.bulk).toBe(net.relayBulk[0]);
    expect(net.bob.link.bulk).toBe(net.relayBulk[1]);
    expect(net.alice.link.media).toEqual({
      state: 'unavailable',
      reason: 'NO_DIRECT_PATH',
      message: 'no direct connection could be made, and no relay carries audio and video',
    });
    expect(net.alice.link.state).toBe('connected');
  });

  it('moves to the relay at once when a direct route breaks, and back when it is restored', async () => {
    const net = new Net();
    net.connect();
    let sent = sendNumbers(net.alice, 0, 10);
    await settle();
    net.cut('reconnecting');
    expect(net.alice.link.transport).toBe('relay');
    expect(net.alice.link.bulk).toBe(net.relayBulk[0]);
    expect(net.alice.link.state).toBe('connected'); // messages flow on
    expect(net.alice.link.media.state).toBe('connecting'); // the ICE restart goes on
    sent = sendNumbers(net.alice, sent, 10);
    await settle();
    expect(numbers(net.bob)).toEqual(oneToN(sent));
    net.restore();
    sent = sendNumbers(net.alice, sent, 10);
    await settle();
    // Direct opened before the relay was used at all (connect() in the first task).
    expect(net.alice.transports).toEqual(['direct', 'relay', 'direct']);
    expect(net.bob.link.transport).toBe('direct');
    expect(net.alice.link.bulk).toBe(net.alice.directs[0]?.bulk);
    expect(numbers(net.bob)).toEqual(oneToN(sent));
  });

  it('notices a direct route whose data stopped moving within stallMs, and hands over to the relay', async () => {
    const net = new Net();
    net.connect();
    let sent = sendNumbers(net.alice, 0, 5);
    await settle();
    // The path dies silently: frames vanish, ICE says nothing.
    const direct = net.alice.directs[0];
    if (!direct) throw new Error('no direct route');
    direct.message.filter = () => false;
    direct.bulk.paused = true;
    direct.bulk.send(new Uint8Array(10_000)); // a file chunk stuck in the buffer
    sent = sendNumbers(net.alice, sent, 5);
    const stopped = Date.now();
    await vi.advanceTimersByTimeAsync(STALL_MS - 300);
    expect(direct.stalls).toBe(0);
    await vi.advanceTimersByTimeAsync(600); // the watch looks every stallMs / 8
    expect(direct.stalls).toBe(1);
    // The route restarts unless the peer was heard well after the data stopped moving.
    expect(direct.stalledSince).toBeGreaterThanOrEqual(stopped + STALL_MS / 4);
    expect(direct.stalledSince).toBeLessThan(stopped + STALL_MS / 4 + STALL_MS / 8);
    expect(net.alice.link.transport).toBe('relay');
    await settle();
    expect(net.bob.link.transport).toBe('relay'); // it follows: its acks must reach us
    expect(numbers(net.bob)).toEqual(oneToN(sent));
  });

  it('does not call a slow route stalled while its buffer drains', async () => {
    const { net, direct } = await pausedBulk();
    for (let i = 0; i < 40; i += 1) direct.bulk.send(new Uint8Array(1000));
    // One frame at a time trickles out, every half stallMs, for much longer than stallMs.
    for (let i = 0; i < 10; i += 1) {
      await vi.advanceTimersByTimeAsync(STALL_MS / 2);
      direct.bulk.deliverOne();
    }
    expect(direct.stalls).toBe(0);
    expect(net.alice.link.transport).toBe('direct');
  });

  it('does not count time its own thread was blocked towards a stall', async () => {
    const { direct } = await pausedBulk();
    direct.bulk.send(new Uint8Array(10_000));
    await vi.advanceTimersByTimeAsync(STALL_MS / 4);
    // The page's thread is busy for 3 s (e.g. making a file's bytes): no look runs meanwhile.
    vi.setSystemTime(Date.now() + 3000);
    await vi.advanceTimersByTimeAsync(STALL_MS / 4);
    expect(direct.stalls).toBe(0);
    // Nothing moves after it either: a stall once stallMs of watched time add up.
    await vi.advanceTimersByTimeAsync(STALL_MS / 2);
    expect(direct.stalls).toBe(1);
  });

  it('without a relay, a stall restarts ICE and messages wait for the restored route', async () => {
    const net = new Net({ relay: false });
    net.connect();
    await settle();
    const direct = net.alice.directs[0];
    if (!direct) throw new Error('no direct route');
    direct.message.paused = true;
    const sent = sendNumbers(net.alice, 0, 3);
    await vi.advanceTimersByTimeAsync(STALL_MS * 1.5);
    expect(direct.stalls).toBe(1);
    expect(net.alice.link.state).toBe('reconnecting');
    direct.message.resume();
    net.restore();
    await settle();
    expect(net.alice.link.state).toBe('connected');
    expect(numbers(net.bob)).toEqual(oneToN(sent));
  });

  it('on the relay, says reconnecting when the peer is heard on no route, and connected when it is again', async () => {
    const net = new Net();
    await settle();
    expect(net.alice.link.transport).toBe('relay');
    // Both ping each other on the relay: nobody is silent.
    await vi.advanceTimersByTimeAsync(RELAY_SILENCE_MS * 2);
    expect(net.alice.link.state).toBe('connected');
    // Bob's network vanishes: nothing from him reaches alice any more.
    net.relayMessage[1].filter = () => false;
    await vi.advanceTimersByTimeAsync(RELAY_SILENCE_MS + 2500);
    expect(net.alice.link.state).toBe('reconnecting');
    net.relayMessage[1].filter = () => true;
    await vi.advanceTimersByTimeAsync(3000);
    expect(net.alice.link.state).toBe('connected');
    expect(net.alice.states).toEqual(['connected', 'reconnecting', 'connected']);
  });

  it('on the relay, sends again what the peer never acknowledged (frames lost before it knew us)', async () => {
    const net = new Net();
    net.relayMessage[0].filter = () => false; // the first frames are lost
    sendNumbers(net.alice, 0, 3);
    await settle();
    expect(numbers(net.bob)).toEqual([]);
    net.relayMessage[0].filter = () => true;
    await vi.advanceTimersByTimeAsync(STALL_MS * 1.5);
    expect(numbers(net.bob)).toEqual([1, 2, 3]);
  });

  it('on the relay, asks for a lost message as soon as a later one arrives, and gets it at once; the app sees no error', async () => {
    const net = new Net();
    sendNumbers(net.alice, 0, 2);
    await settle();
    let sent3 = 0;
    // The first frame of message 3 is lost on the way (the relay lost it as a node went away).
    net.relayMessage[0].filter = (frame) => !(frame[0] === 1 && frame[5] === 3 && sent3++ === 0);
    sendNumbers(net.alice, 2, 3);
    await settle();
    expect(sent3).toBe(2); // lost, then sent again
    expect(numbers(net.bob)).toEqual([1, 2, 3, 4, 5]); // long before stallMs
    expect(net.bob.errors).toEqual([]);
    expect(net.alice.errors).toEqual([]);
  });

  it('follows the path actually used: a selected pair that moves onto TURN makes the transport turn', async () => {
    const net = new Net();
    net.connect();
    await settle();
    expect(net.alice.link.transport).toBe('direct');
    const direct = net.alice.directs[0];
    if (!direct) throw new Error('no direct route');
    direct.kind = 'turn';
    direct.hooks.onPathChange();
    await settle();
    expect(net.alice.transports).toEqual(['direct', 'turn']);
  });

  it('makes a fresh direct attempt every directRetryMs, replacing one still under way', async () => {
    const net = new Net();
    await vi.advanceTimersByTimeAsync(FALLBACK_MS); // no direct route opened
    expect(net.alice.directs).toHaveLength(1);
    for (let attempts = 2; attempts <= 4; attempts += 1) {
      await vi.advanceTimersByTimeAsync(RETRY_MS);
      expect(net.alice.directs).toHaveLength(attempts);
      expect(net.alice.directs.at(-2)?.closed).toBe(true);
    }
    // Media stays unavailable throughout: no notice flickering with each attempt.
    expect(net.alice.media.map((m) => m.state)).toEqual(['unavailable']);
  });

  it('tries a fresh direct route every directRetryMs while on the relay (the initiator only)', async () => {
    const net = new Net();
    net.connect();
    await settle();
    net.cut('failed');
    expect(net.alice.link.transport).toBe('relay'); // a failed route hands over at once
    expect(net.alice.directs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(RETRY_MS - 1);
    expect(net.alice.directs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(net.alice.directs).toHaveLength(2);
    expect(net.bob.directs).toHaveLength(1); // the answerer waits for the offer
    // The offer reaches bob: a new RTCPeerConnection there too.
    net.bob.link.signal({ type: 'offer', sdp: 'v=0' });
    expect(net.bob.directs).toHaveLength(2);
    net.connect();
    const sent = sendNumbers(net.bob, 0, 3);
    await settle();
    expect(net.alice.link.transport).toBe('direct');
    expect(numbers(net.alice)).toEqual(oneToN(sent));
  });

  it('delivers once and in order when both sides switch at the same moment (the epoch race)', async () => {
    const net = new Net();
    let toBob = sendNumbers(net.alice, 0, 50);
    let toAlice = sendNumbers(net.bob, 0, 50);
    await vi.advanceTimersByTimeAsync(FALLBACK_MS); // both on the relay, both SWITCH
    toBob = sendNumbers(net.alice, toBob, 50);
    toAlice = sendNumbers(net.bob, toAlice, 50);
    net.connect(); // both move to direct in the same tick, frames in flight both ways
    toBob = sendNumbers(net.alice, toBob, 50);
    toAlice = sendNumbers(net.bob, toAlice, 50);
    await settle();
    await vi.advanceTimersByTimeAsync(1000);
    expect(net.alice.link.transport).toBe('direct');
    expect(net.bob.link.transport).toBe('direct');
    expect(numbers(net.bob)).toEqual(oneToN(toBob));
    expect(numbers(net.alice)).toEqual(oneToN(toAlice));
  });

  it('loses, duplicates and reorders nothing across direct → relay → new direct, with frames lost in the cut', async () => {
    const net = new Net();
    net.connect();
    let sent = 0;
    // A long message that is cut in the middle by the route dying.
    const long = new Uint8Array(300_000).fill(7);
    for (let round = 0; round < 3; round += 1) {
      sent = sendNumbers(net.alice, sent, 20);
      net.alice.link.send(false, long);
      sent += 1;
      sent = sendNumbers(net.alice, sent, 20);
      await vi.advanceTimersByTimeAsync(1); // part of it delivered, part in flight
      net.cut('failed');
      await vi.advanceTimersByTimeAsync(RETRY_MS);
      net.bob.link.signal({ type: 'offer', sdp: 'v=0' });
      net.connect();
      await settle();
    }
    await vi.advanceTimersByTimeAsync(1000);
    const received = net.bob.received.map((m) => (typeof m === 'string' ? Number(m) : 'long'));
    const expected = oneToN(sent).map((n) => (n % 41 === 21 ? 'long' : n));
    expect(received).toEqual(expected);
    expect(net.bob.errors).toEqual([]);
  });

  it('fails with PEER_UNREACHABLE and the dropped-message count when there is no relay', async () => {
    const net = new Net({ relay: false });
    sendNumbers(net.alice, 0, 2);
    net.alice.directs[0]?.fail('could not connect within 15000 ms');
    expect(net.alice.link.state).toBe('failed');
    expect(net.alice.states).toEqual(['failed']);
    expect(net.alice.errors.map((e) => [e.code, e.message])).toEqual([
      [
        'PEER_UNREACHABLE',
        'peer bob: could not connect within 15000 ms; 2 queued message(s) were not sent',
      ],
    ]);
  });

  it('exchanges messages both ways with a peer whose link was made anew (it gave us up and met us again)', async () => {
    const net = new Net();
    sendNumbers(net.alice, 0, 3);
    sendNumbers(net.bob, 0, 3);
    await settle();
    await vi.advanceTimersByTimeAsync(FALLBACK_MS); // on the relay, acknowledged both ways
    expect(numbers(net.bob)).toEqual([1, 2, 3]);
    expect(numbers(net.alice)).toEqual([1, 2, 3]);
    net.renewAlice();
    sendNumbers(net.bob, 3, 2); // bob's link, which went on, numbers these 4 and 5
    sendNumbers(net.alice, 100, 2); // the new link numbers these 1 and 2 again
    await settle();
    await vi.advanceTimersByTimeAsync(STALL_MS * 2);
    // Before: bob took the new link's SWITCH for an old one and 1, 2 for messages it had.
    expect(numbers(net.bob)).toEqual([1, 2, 3, 101, 102]);
    expect(numbers(net.alice)).toEqual([4, 5]);
    expect([...net.alice.errors, ...net.bob.errors]).toEqual([]);
  });

  it('with transport "relay" makes no direct route at all', async () => {
    const net = new Net({ mode: 'relay' });
    sendNumbers(net.alice, 0, 3);
    await settle();
    expect(net.alice.directs).toHaveLength(0);
    expect(net.alice.link.transport).toBe('relay');
    expect(numbers(net.bob)).toEqual([1, 2, 3]);
  });
});

/** Relayed media as the link drives it: records each on/off, reports what the test sets. */
class FakeRelayMedia {
  active: boolean[] = [];
  media: MediaState = { state: 'connecting' };
  /** Media flows over the relay (the test says when). */
  live = false;
  closed = false;
  onChange: () => void = () => {};
  setActive(active: boolean): void {
    if (this.active.at(-1) !== active) this.active.push(active);
  }
  stats() {
    return { inbound: {}, outbound: {} };
  }
  close(): void {
    this.closed = true;
  }
}

describe('Link: relayed media', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function net(mode: 'auto' | 'relay' = 'auto') {
    const made: FakeRelayMedia[] = [];
    const result = new Net({
      mode,
      relayMedia: (onChange) => {
        const media = new FakeRelayMedia();
        media.onChange = onChange;
        made.push(media);
        return media;
      },
    });
    return { net: result, alice: made[0] as FakeRelayMedia, bob: made[1] as FakeRelayMedia };
  }

  it('is off while the first direct route is expected, on once it is given up on', async () => {
    const { net: n, alice } = net();
    await settle();
    expect(alice.active.filter(Boolean)).toEqual([]);
    expect(n.alice.link.media).toEqual({ state: 'connecting' });
    await vi.advanceTimersByTimeAsync(FALLBACK_MS);
    expect(alice.active.at(-1)).toBe(true);
    // The link reports what relayed media says, and follows its changes.
    expect(n.alice.link.media).toEqual({ state: 'connecting' });
    alice.media = { state: 'available', route: 'relay' };
    alice.onChange();
    expect(n.alice.link.media).toEqual({ state: 'available', route: 'relay' });
    expect(n.alice.media.at(-1)).toEqual({ state: 'available', route: 'relay' });
  });

  it('is off once a direct route opens, and on again while a broken one is restored', async () => {
    const { net: n, alice } = net();
    await vi.advanceTimersByTimeAsync(FALLBACK_MS);
    alice.media = { state: 'available', route: 'relay' };
    n.connect();
    await settle();
    expect(alice.active).toEqual([false, true, false]);
    expect(n.alice.link.media).toEqual({ state: 'available', route: 'direct' });
    n.cut('reconnecting');
    await settle();
    expect(alice.active.at(-1)).toBe(true);
    expect(n.alice.link.media).toEqual({ state: 'available', route: 'relay' });
    n.restore();
    await settle();
    expect(alice.active.at(-1)).toBe(false);
    expect(n.alice.link.media).toEqual({ state: 'available', route: 'direct' });
  });

  it('paces files over the relay while a call runs there, and not otherwise', async () => {
    const { net: n, alice } = net('relay');
    await settle();
    const bulk = n.relayBulk[0];
    expect(bulk.pace).toBeUndefined(); // relayed media is on, but nothing flows
    alice.live = true; // a call starts
    alice.onChange();
    expect(bulk.pace).toBe(CALL_FILE_PACE);
    alice.live = false;
    alice.onChange();
    expect(bulk.pace).toBeUndefined();
  });

  it("is on from the start with transport 'relay', and closes with the link", async () => {
    const { net: n, alice, bob } = net('relay');
    await settle();
    expect(alice.active).toEqual([true]);
    expect(bob.active).toEqual([true]);
    n.alice.link.close();
    expect(alice.closed).toBe(true);
  });
});
