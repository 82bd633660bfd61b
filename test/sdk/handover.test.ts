import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FRAME_KIND } from '../../sdk/link/framing.js';
import { Handover } from '../../sdk/link/handover.js';
import { memoryLanePair } from '../helpers/memory-lanes.js';

/** `[kind][u32 value]`, as the hand-over's control frames are. */
function control(kind: number, value: number): Uint8Array {
  const frame = new Uint8Array(5);
  frame[0] = kind;
  new DataView(frame.buffer).setUint32(1, value);
  return frame;
}

describe('Handover', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('answers RESEND by sending again from the missing message, at most once every 100 ms', () => {
    const [lane] = memoryLanePair();
    let resends = 0;
    const handover: Handover = new Handover({
      maxMessageBytes: 1024,
      lane: () => lane,
      onMessage: () => {},
      onSwitch: () => {},
      onProblem: () => {},
      onResend: () => {
        resends += 1;
        handover.announce('relay', true); // what the link does
      },
    });
    for (let i = 1; i <= 5; i += 1) handover.send(true, new TextEncoder().encode(`m${i}`), false);
    /** The sequence numbers of the messages sent on the lane since `from`. */
    const seqs = (from: number) =>
      lane.sent
        .slice(from)
        .filter((frame) => frame[0] === FRAME_KIND.MESSAGE)
        .map((frame) => new DataView(frame.buffer, frame.byteOffset).getUint32(2));
    expect(seqs(0)).toEqual([1, 2, 3, 4, 5]);
    const before = lane.sent.length;
    const resend = control(FRAME_KIND.RESEND, 3); // 1 and 2 arrived; 3 is missing
    for (let i = 0; i < 10; i += 1) handover.receive(resend, 'relay');
    expect(resends).toBe(1); // a peer asking again and again gets one resend ...
    expect(seqs(before)).toEqual([3, 4, 5]); // ... from the missing message on
    vi.advanceTimersByTime(100);
    handover.receive(resend, 'relay');
    expect(resends).toBe(2);
    handover.receive(control(FRAME_KIND.ACK, 5), 'relay');
    vi.advanceTimersByTime(100);
    handover.receive(resend, 'relay');
    expect(resends).toBe(2); // nothing unacknowledged: nothing to send again
  });

  it('reports a control frame too short to read, and goes on', () => {
    const [lane] = memoryLanePair();
    const problems: { code: string; message: string }[] = [];
    let switches = 0;
    const handover = new Handover({
      maxMessageBytes: 1024,
      lane: () => lane,
      onMessage: () => {},
      onSwitch: () => {
        switches += 1;
      },
      onProblem: (error) => problems.push({ code: error.code, message: error.message }),
      onResend: () => {},
    });
    handover.receive(new Uint8Array([FRAME_KIND.ACK, 0, 0]), 'relay');
    handover.receive(new Uint8Array([FRAME_KIND.SWITCH]), 'relay');
    handover.receive(new Uint8Array([FRAME_KIND.RESEND, 0, 0, 0]), 'relay');
    expect(problems).toEqual([
      { code: 'INVALID_DATA', message: 'ACK frame of 3 bytes, fewer than 5; ignored' },
      { code: 'INVALID_DATA', message: 'SWITCH frame of 1 bytes, fewer than 5; ignored' },
      { code: 'INVALID_DATA', message: 'RESEND frame of 4 bytes, fewer than 5; ignored' },
    ]);
    handover.receive(control(FRAME_KIND.SWITCH, 1), 'relay'); // a whole one still works
    expect(switches).toBe(1);
    expect(problems).toHaveLength(3);
  });
});
