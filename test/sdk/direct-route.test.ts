/**
 * The direct route's state machine on a fake clock, over a fake connection whose ICE state
 * the test drives: first connection, liveness, ICE restart, giving up.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionState } from '../../sdk/api.js';
import { Emitter } from '../../sdk/emitter.js';
import { PACE } from '../../sdk/link/direct/call-pace.js';
import {
  CALL_KEEPALIVE_MS,
  CLOSE_GRACE_MS,
  type DirectConnection,
  DirectRoute,
  KEEPALIVE_MS,
  SILENCE_MS,
  SILENT_PINGS,
} from '../../sdk/link/direct/direct-route.js';
import type { RtcConnectionEvents } from '../../sdk/link/direct/rtc-connection.js';
import { FRAME_KIND } from '../../sdk/link/framing.js';
import type { PeerMedia } from '../../sdk/media/peer-media.js';
import { type MemoryLane, memoryLanePair } from '../helpers/memory-lanes.js';

/** The link's `stallMs` in these tests. */
const STALL_MS = 2000;

/** `callFilePace` in these tests, bytes per second. */
const CALL_FILE_PACE = 1024 * 1024;

const TIMING = {
  peerConnectTimeoutMs: 15_000,
  iceRestartDelayMs: 1000,
  iceRestartTimeoutMs: 15_000,
};

/** A connection whose events and ICE state the test drives; its lanes reach `remote`. */
class FakeConnection extends Emitter<RtcConnectionEvents> implements DirectConnection {
  readonly message: MemoryLane;
  readonly bulk: MemoryLane;
  /** The other ends of the lanes: what the remote peer receives. */
  readonly remote: { message: MemoryLane; bulk: MemoryLane };
  iceConnectionState: RTCIceConnectionState = 'new';
  signalingState: RTCSignalingState = 'stable';
  /** None, unless a test gives one (its `getStats()`). */
  peerConnection: RTCPeerConnection | undefined = undefined;
  readonly signal = vi.fn();
  readonly restartIce = vi.fn(async () => {
    this.signalingState = 'have-local-offer';
  });
  readonly close = vi.fn();

  constructor() {
    super();
    const [message, remoteMessage] = memoryLanePair(false);
    const [bulk, remoteBulk] = memoryLanePair(false);
    this.message = message;
    this.bulk = bulk;
    this.remote = { message: remoteMessage, bulk: remoteBulk };
  }

  /** ICE connects and both lanes open; simple-peer says `connect`. */
  up(): void {
    for (const lane of [this.message, this.bulk, this.remote.message, this.remote.bulk])
      lane.openNow();
    this.ice('connected');
    this.emit('connect');
  }

  ice(state: RTCIceConnectionState): void {
    this.iceConnectionState = state;
    this.emit('ice-state', state);
  }

  /** Emits one of the connection's events, as simple-peer would make it. */
  fire<K extends keyof RtcConnectionEvents>(
    event: K,
    ...args: Parameters<RtcConnectionEvents[K]>
  ): void {
    this.emit(event, ...args);
  }

  /** PINGs the remote side received. */
  pingsReceived(): number {
    return this.message.sent.filter((f) => f[0] === FRAME_KIND.PING).length;
  }
}

function setup(initiator = true, media?: { live: boolean }) {
  const connection = new FakeConnection();
  const states: ConnectionState[] = [];
  const failures: string[] = [];
  const signals: unknown[] = [];
  let pathChanges = 0;
  let signalingUp = true;
  const route = new DirectRoute({
    connection,
    initiator,
    // The route reads only `live` and calls `open()`.
    ...(media && { media: Object.assign(media, { open() {} }) as unknown as PeerMedia }),
    ...TIMING,
    callFilePace: CALL_FILE_PACE,
    iceServers: () => [],
    canSignal: () => signalingUp,
    sendSignal: (data) => signals.push(data),
    onState: (state) => states.push(state),
    onFail: (reason) => failures.push(reason),
    onPathChange: () => {
      pathChanges += 1;
    },
  });
  return {
    connection,
    route,
    states,
    failures,
    signals,
    pathChanges: () => pathChanges,
    setSignaling: (up: boolean) => {
      signalingUp = up;
    },
  };
}

describe('DirectRoute (fake clock, fake connection)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('is connected once simple-peer connects and the message lane is open', () => {
    const { connection, route, states } = setup();
    connection.fire('connect'); // simple-peer first; the lanes are not open yet
    expect(route.state).toBe('connecting');
    connection.up();
    expect(route.state).toBe('connected');
    expect(states).toEqual(['connected']);
  });

  it('fails when the first connection does not open within peerConnectTimeoutMs', async () => {
    const { route, failures } = setup();
    await vi.advanceTimersByTimeAsync(TIMING.peerConnectTimeoutMs - 1);
    expect(failures).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(route.state).toBe('failed');
    expect(failures).toEqual(['could not connect within 15000 ms']);
  });

  it('pings every 2.5 s while connected, and restarts ICE after 7.5 s of silence', async () => {
    const { connection, route, states } = setup();
    connection.up();
    await vi.advanceTimersByTimeAsync(KEEPALIVE_MS * 3);
    expect(connection.pingsReceived()).toBeGreaterThanOrEqual(2);
    // Nothing comes back from the remote side: silence.
    await vi.advanceTimersByTimeAsync(SILENCE_MS);
    expect(route.state).toBe('reconnecting');
    expect(states).toEqual(['connected', 'reconnecting']);
    expect(connection.restartIce).toHaveBeenCalled();
  });

  it('in a call pings every second, says so, and restarts ICE after 3 s of silence', async () => {
    const media = { live: true };
    const { connection, route, states } = setup(true, media);
    connection.up();
    // The peer is in the call too: its PINGs say 1 s (10 × 100 ms).
    connection.remote.message.send(new Uint8Array([FRAME_KIND.PING, 10]));
    await vi.advanceTimersByTimeAsync(2500);
    const pings = connection.message.sent.filter((f) => f[0] === FRAME_KIND.PING);
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect([...(pings.at(-1) ?? [])]).toEqual([FRAME_KIND.PING, CALL_KEEPALIVE_MS / 100]);
    expect(route.state).toBe('connected');
    await vi.advanceTimersByTimeAsync(SILENT_PINGS * CALL_KEEPALIVE_MS - 2500);
    expect(states).toEqual(['connected', 'reconnecting']);
    // ICE had not noticed: its "connected" after the restart's round proves nothing.
    connection.fire('negotiated');
    connection.ice('connected');
    expect(route.state).toBe('reconnecting');
    connection.remote.message.send(new Uint8Array([FRAME_KIND.PING, 10]));
    await vi.advanceTimersByTimeAsync(1);
    expect(route.state).toBe('connected');
  });

  it('does not take the time its own thread was blocked for silence', async () => {
    const { connection, route } = setup(true, { live: true });
    connection.up();
    connection.remote.message.send(new Uint8Array([FRAME_KIND.PING, 10]));
    await vi.advanceTimersByTimeAsync(1000);
    // The page is busy for 5 s: no check runs, and the peer's frames wait undispatched.
    vi.setSystemTime(Date.now() + 5000);
    await vi.advanceTimersByTimeAsync(500);
    expect(route.state).toBe('connected');
    connection.remote.message.send(new Uint8Array([FRAME_KIND.PING, 10]));
    await vi.advanceTimersByTimeAsync(2500);
    expect(route.state).toBe('connected');
  });

  it('keeps the idle silence for a peer whose PINGs say nothing (older code) or 2.5 s', async () => {
    for (const ping of [[FRAME_KIND.PING], [FRAME_KIND.PING, 25]]) {
      const { connection, route } = setup(true, { live: true });
      connection.up();
      connection.remote.message.send(new Uint8Array(ping));
      await vi.advanceTimersByTimeAsync(SILENCE_MS - 500);
      expect(route.state).toBe('connected');
      await vi.advanceTimersByTimeAsync(500);
      expect(route.state).toBe('reconnecting');
      route.close();
    }
  });

  it('says a slower interval at once when the call ends', async () => {
    const media = { live: true };
    const { connection } = setup(true, media);
    connection.up();
    await vi.advanceTimersByTimeAsync(1000);
    media.live = false;
    await vi.advanceTimersByTimeAsync(500);
    const last = connection.message.sent.at(-1);
    expect([...(last ?? [])]).toEqual([FRAME_KIND.PING, KEEPALIVE_MS / 100]);
  });

  it('stays connected while frames arrive, whatever the clock says', async () => {
    const { connection, route } = setup();
    connection.up();
    for (let i = 0; i < 10; i += 1) {
      connection.remote.message.send(new Uint8Array([FRAME_KIND.PING]));
      await vi.advanceTimersByTimeAsync(SILENCE_MS / 2);
    }
    expect(route.state).toBe('connected');
  });

  it('restarts ICE after iceRestartDelayMs of "disconnected", retrying 2, 4, 8 s apart, and is restored when ICE connects', async () => {
    const { connection, route, states } = setup();
    connection.up();
    connection.ice('disconnected');
    await vi.advanceTimersByTimeAsync(TIMING.iceRestartDelayMs - 1);
    expect(route.state).toBe('connected'); // it often recovers by itself
    await vi.advanceTimersByTimeAsync(1);
    expect(route.state).toBe('reconnecting');
    expect(connection.restartIce).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2000);
    // The first offer is still unanswered (have-local-offer) and not yet stale: no new one.
    expect(connection.restartIce).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(4000);
    expect(connection.restartIce).toHaveBeenCalledTimes(2); // stale after 5 s: replaced
    connection.ice('connected');
    expect(route.state).toBe('connected');
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    expect(connection.pingsReceived()).toBeGreaterThanOrEqual(1); // tells the other side
  });

  it('does not restart when "disconnected" recovers within iceRestartDelayMs', async () => {
    const { connection, route } = setup();
    connection.up();
    connection.ice('disconnected');
    await vi.advanceTimersByTimeAsync(500);
    connection.ice('connected');
    await vi.advanceTimersByTimeAsync(5000);
    expect(route.state).toBe('connected');
    expect(connection.restartIce).not.toHaveBeenCalled();
  });

  it('fails when the restart does not succeed within iceRestartTimeoutMs', async () => {
    const { connection, failures } = setup();
    connection.up();
    connection.ice('failed'); // restarts at once
    await vi.advanceTimersByTimeAsync(TIMING.iceRestartTimeoutMs - 1);
    expect(failures).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(failures).toEqual(['lost the connection and could not restore it within 15000 ms']);
    expect(connection.close).toHaveBeenCalled();
  });

  it('as the answerer asks the initiator for a restart, and waits for signaling to do so', async () => {
    const { connection, signals, setSignaling, route } = setup(false);
    connection.up();
    setSignaling(false);
    connection.ice('failed');
    expect(signals).toEqual([]);
    setSignaling(true);
    route.signalingRestored();
    expect(signals).toEqual([{ type: 'renegotiate', renegotiate: true }]);
    expect(connection.restartIce).not.toHaveBeenCalled();
  });

  it('fails CLOSE_GRACE_MS after the connection closes, unless closed on purpose first', async () => {
    const first = setup();
    first.connection.up();
    first.connection.fire('close', undefined);
    await vi.advanceTimersByTimeAsync(CLOSE_GRACE_MS);
    expect(first.failures).toEqual(['the connection closed']);

    const second = setup();
    second.connection.up();
    second.connection.fire('close', undefined);
    second.route.close(); // the peer left: the room closes the route quietly
    await vi.advanceTimersByTimeAsync(CLOSE_GRACE_MS * 2);
    expect(second.failures).toEqual([]);
    expect(second.route.state).toBe('closed');
  });

  it('tells a new RTCPeerConnection of the remote peer by its SDP session id (answerer)', () => {
    const { route } = setup(false);
    const offer = (session: string) => `v=0\r\no=- ${session} 2 IN IP4 127.0.0.1\r\n`;
    route.signal({ type: 'offer', sdp: offer('111') });
    expect(route.isNewSession(offer('111'))).toBe(false);
    expect(route.isNewSession(offer('222'))).toBe(true);
  });

  it('paces its bulk lane while a call runs on it, from the connection’s statistics', async () => {
    const media = { live: false };
    const { connection } = setup(true, media);
    let rtt = 0.02; // seconds, as RTCP reports it
    connection.peerConnection = {
      async getStats() {
        const entry = { id: 'r', type: 'remote-inbound-rtp', roundTripTime: rtt };
        return new Map([[entry.id, { ...entry, timestamp: Date.now() }]]);
      },
    } as unknown as RTCPeerConnection;
    connection.up();
    await vi.advanceTimersByTimeAsync(1000);
    expect(connection.bulk.pace).toBeUndefined(); // no call: files as fast as the lane drains
    media.live = true;
    await vi.advanceTimersByTimeAsync(500);
    expect(connection.bulk.pace).toBe(CALL_FILE_PACE);
    await vi.advanceTimersByTimeAsync(1000);
    expect(connection.bulk.pace).toBe(CALL_FILE_PACE); // read: the call's packets do not queue
    rtt = 0.02 + (PACE.queueMs + 10) / 1000; // a queue builds on the path
    await vi.advanceTimersByTimeAsync(1000 * PACE.queuedReadings);
    expect(connection.bulk.pace).toBe(CALL_FILE_PACE / 2);
    media.live = false; // the call ended
    await vi.advanceTimersByTimeAsync(500);
    expect(connection.bulk.pace).toBeUndefined();
  });

  it('after a stall, restarts ICE and is restored only by data, not by ICE saying "connected"', async () => {
    const { connection, route, states } = setup();
    connection.up();
    // The link saw data wait with nothing moving; ICE still says connected.
    route.stalled(Date.now() - STALL_MS);
    expect(route.state).toBe('reconnecting');
    expect(connection.restartIce).toHaveBeenCalledTimes(1);
    connection.fire('negotiated'); // the restart's answer came back
    connection.ice('connected');
    expect(route.state).toBe('reconnecting'); // ICE believed in the old path all along
    // A frame from the remote side proves the path works again.
    connection.remote.message.send(new Uint8Array([FRAME_KIND.PING]));
    await vi.advanceTimersByTimeAsync(1);
    expect(route.state).toBe('connected');
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
  });

  it('is not restarted by a stall while the peer is heard on it (its data waits on the peer)', async () => {
    const { connection, route, states } = setup();
    connection.up();
    const stopped = Date.now(); // the data stops moving
    await vi.advanceTimersByTimeAsync(STALL_MS - 100);
    // Heard after that: the peer's PING (a busy receiver still pings).
    connection.remote.message.send(new Uint8Array([FRAME_KIND.PING]));
    await vi.advanceTimersByTimeAsync(100);
    route.stalled(stopped);
    expect(route.state).toBe('connected');
    expect(connection.restartIce).not.toHaveBeenCalled();
    // Unheard since the data stopped moving (the PING came before): presumed broken.
    await vi.advanceTimersByTimeAsync(1);
    route.stalled(Date.now());
    expect(route.state).toBe('reconnecting');
    expect(connection.restartIce).toHaveBeenCalledTimes(1);
    expect(states).toEqual(['connected', 'reconnecting']);
  });

  it('after a stall, is restored when its buffered data drains', async () => {
    const { connection, route } = setup();
    connection.up();
    connection.bulk.paused = true;
    connection.bulk.send(new Uint8Array(1000));
    route.stalled(Date.now() - STALL_MS);
    expect(route.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(2000);
    expect(route.state).toBe('reconnecting');
    connection.bulk.resume(); // the restart found a path: the buffer drains
    await vi.advanceTimersByTimeAsync(1000);
    expect(route.state).toBe('connected');
  });

  it('after a stall, is not restored by the buffers of a connection closed under it, and fails', async () => {
    const { connection, route, states, failures } = setup();
    connection.up();
    connection.bulk.paused = true;
    connection.bulk.send(new Uint8Array(1000));
    route.stalled(Date.now() - STALL_MS);
    // RTCPeerConnection.close() from outside: no event, the lanes still look open, and
    // their buffers empty (as Chromium's do).
    connection.signalingState = 'closed';
    connection.iceConnectionState = 'closed';
    connection.bulk.resume();
    await vi.advanceTimersByTimeAsync(500 + CLOSE_GRACE_MS);
    expect(states).toEqual(['connected', 'reconnecting']);
    expect(failures).toEqual(['the connection closed']);
  });

  it('keeps pinging while reconnecting, so the other side hears it once a path works', async () => {
    const { connection } = setup();
    connection.up();
    connection.ice('failed');
    const before = connection.pingsReceived();
    await vi.advanceTimersByTimeAsync(KEEPALIVE_MS * 2);
    expect(connection.pingsReceived()).toBeGreaterThan(before);
  });

  it('tells the link when ICE reports a (new) connected path while connected', () => {
    const { connection, pathChanges } = setup();
    connection.up();
    const before = pathChanges();
    connection.ice('completed');
    expect(pathChanges()).toBe(before + 1);
  });
});
