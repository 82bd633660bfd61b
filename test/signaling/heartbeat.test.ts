import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat, type Pingable } from '../../signaling/heartbeat.js';

/** A socket as the heartbeat sees it: bytes read so far, pings sent, whether it was cut. */
class FakeSocket implements Pingable {
  bytesRead = 0;
  pings = 0;
  cut = false;
  constructor(public open = true) {}
  ping(): number | undefined {
    if (!this.open || this.cut) return undefined;
    this.pings += 1;
    return this.bytesRead;
  }
  endIfSilentSince(mark: number): void {
    if (this.open && !this.cut && this.bytesRead === mark) this.cut = true;
  }
}

describe('Heartbeat', () => {
  let heartbeat: Heartbeat | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    heartbeat?.stop();
    vi.useRealTimers();
  });

  it('cuts a socket that sent nothing within the timeout after a ping, and only then', () => {
    const silent = new FakeSocket();
    const answering = new FakeSocket();
    heartbeat = new Heartbeat([silent, answering], 100, 1000);
    vi.advanceTimersByTime(1000);
    expect([silent.pings, answering.pings]).toEqual([1, 1]);
    answering.bytesRead += 2; // its pong
    vi.advanceTimersByTime(99);
    expect(silent.cut).toBe(false);
    vi.advanceTimersByTime(1);
    expect([silent.cut, answering.cut]).toEqual([true, false]);
  });

  it('counts anything the client sent as an answer, not only a pong', () => {
    const busy = new FakeSocket();
    heartbeat = new Heartbeat([busy], 100, 1000);
    vi.advanceTimersByTime(1050);
    busy.bytesRead += 300; // a frame, its pong still to come
    vi.advanceTimersByTime(50);
    expect(busy.cut).toBe(false);
  });

  it('pings every socket at each interval, and skips closed ones', () => {
    const open = new FakeSocket();
    const closed = new FakeSocket(false);
    const sockets = new Set([open, closed]);
    heartbeat = new Heartbeat(sockets, 100, 1000);
    for (let round = 0; round < 3; round += 1) {
      vi.advanceTimersByTime(1000);
      open.bytesRead += 2;
    }
    const late = new FakeSocket();
    sockets.add(late); // connections come and go between rounds
    vi.advanceTimersByTime(1000);
    expect([open.pings, closed.pings, late.pings]).toEqual([4, 0, 1]);
    expect([open.cut, closed.cut]).toEqual([false, false]);
  });

  it('checks each round against its own ping when the timeout outlasts the interval', () => {
    const socket = new FakeSocket();
    heartbeat = new Heartbeat([socket], 1500, 1000);
    vi.advanceTimersByTime(1000); // ping 1, checked at 2500
    socket.bytesRead += 2;
    vi.advanceTimersByTime(1000); // ping 2 at 2000, checked at 3500
    vi.advanceTimersByTime(500); // 2500: ping 1 was answered
    expect(socket.cut).toBe(false);
    vi.advanceTimersByTime(1000); // 3500: nothing since ping 2
    expect(socket.cut).toBe(true);
  });

  it('neither pings nor cuts after stop', () => {
    const socket = new FakeSocket();
    heartbeat = new Heartbeat([socket], 100, 1000);
    vi.advanceTimersByTime(1000);
    heartbeat.stop();
    vi.advanceTimersByTime(5000);
    expect([socket.pings, socket.cut]).toEqual([1, false]);
  });
});
