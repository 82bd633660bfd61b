/**
 * The pure parts of relayed media (`sdk/media/relay/`): the wire format and its checks,
 * the drop rule, the bitrate and the encoded size on a fake clock, the audio jitter buffer, which stream the
 * app sees, and the route's media lane (bounded reassembly, never queued).
 */
import { describe, expect, it } from 'vitest';
import { WATER_MARKS } from '../../sdk/link/flow.js';
import { type MediaRoute, RelayRoute } from '../../sdk/link/relay/relay-route.js';
import type { RelaySocket } from '../../sdk/link/relay/relay-socket.js';
import {
  DOWN_GAP_MS,
  EncoderLoad,
  LOAD_SAMPLES,
  OVERUSE_MS,
  SCALE_STEPS,
  START_STEP,
  UP_CALM_MS,
  UP_HEADROOM,
  WARM_UP_MS,
} from '../../sdk/media/relay/encoder-load.js';
import {
  FAST_RATE,
  JitterBuffer,
  ON_TARGET_MS,
  RESTART_LEAD_MS,
  SLOW_RATE,
} from '../../sdk/media/relay/jitter-buffer.js';
import {
  MAX_AUDIO_BYTES,
  MAX_VIDEO_BYTES,
  readMediaFrame,
  writeAudio,
  writeDelay,
  writeKeyRequest,
  writeState,
  writeVideo,
} from '../../sdk/media/relay/media-wire.js';
import {
  BitrateControl,
  BUDGET_AHEAD_MS,
  CALM_MS,
  DECREASE_GAP_MS,
  FrameBudget,
  KEY_CHARGE_MS,
  LIMIT_MEMORY_MS,
  mayMediaGo,
  OVERRUN_FRAMES,
} from '../../sdk/media/relay/pacing.js';
import {
  AUDIO_FRESH_MS,
  CONFIRM_MS,
  QueueDelay,
  RECENT_SECONDS,
  REPORT_GAP_MS,
  REPORT_OVER_MS,
} from '../../sdk/media/relay/queue-delay.js';
import { RelayMedia } from '../../sdk/media/relay/relay-media.js';
import { relayMediaSupport } from '../../sdk/media/relay/support.js';
import { StreamSwitch } from '../../sdk/media/stream-switch.js';
import { RELAY_HEADER_BYTES, RELAY_LANE, RELAY_MORE_PIECES } from '../../signaling/protocol.js';

const KiB = 1024;
const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

describe('media wire format', () => {
  it('reads back what it writes', () => {
    expect(readMediaFrame(writeVideo(41, 1_700_000_000_123.5, true, bytes(900)))).toEqual({
      ok: true,
      frame: {
        kind: 'video',
        seq: 41,
        captureMs: 1_700_000_000_123.5,
        key: true,
        data: bytes(900),
      },
    });
    expect(readMediaFrame(writeAudio(2 ** 32 - 1, 5, 2, bytes(80)))).toEqual({
      ok: true,
      frame: { kind: 'audio', seq: 2 ** 32 - 1, captureMs: 5, channels: 2, data: bytes(80) },
    });
    expect(readMediaFrame(writeKeyRequest())).toEqual({ ok: true, frame: { kind: 'key-request' } });
    expect(readMediaFrame(writeDelay(1234))).toEqual({
      ok: true,
      frame: { kind: 'delay', queuedMs: 1234 },
    });
    expect(readMediaFrame(writeDelay(1e9))).toEqual({
      ok: true,
      frame: { kind: 'delay', queuedMs: 65_535 },
    });
    const state = { audio: true, video: false, audioOn: true, videoOn: false, decodes: true };
    expect(readMediaFrame(writeState(state))).toEqual({
      ok: true,
      frame: { kind: 'state', ...state },
    });
  });

  it('refuses malformed and oversized frames with a reason, never throwing', () => {
    const refused = (frame: Uint8Array) => {
      const read = readMediaFrame(frame);
      expect(read.ok).toBe(false);
      return read.ok ? '' : read.reason;
    };
    expect(refused(new Uint8Array())).toMatch(/unknown media frame kind/);
    expect(refused(Uint8Array.of(9, 0, 0))).toMatch(/unknown media frame kind 9/);
    expect(refused(writeVideo(1, 1, false, bytes(0)))).toMatch(/too short/);
    expect(refused(writeVideo(1, 1, false, bytes(MAX_VIDEO_BYTES + 1)))).toMatch(/limit 262144/);
    expect(refused(writeAudio(1, 1, 1, bytes(MAX_AUDIO_BYTES + 1)))).toMatch(/limit 4096/);
    expect(refused(writeAudio(1, 1, 3, bytes(10)))).toMatch(/3 channels/);
    const badCodec = writeVideo(1, 1, false, bytes(10));
    badCodec[14] = 9;
    expect(refused(badCodec)).toMatch(/codec 9/);
    const badTime = writeVideo(1, 1, false, bytes(10));
    new DataView(badTime.buffer).setFloat64(6, Number.NaN);
    expect(refused(badTime)).toMatch(/capture time/);
    expect(refused(Uint8Array.of(3, 2))).toMatch(/bad control frame/);
    expect(refused(Uint8Array.of(3, 2, 200))).toMatch(/bad control frame/);
    expect(refused(Uint8Array.of(3, 3, 1))).toMatch(/bad control frame/);
    expect(refused(Uint8Array.of(3, 1, 0))).toMatch(/bad control frame/);
  });
});

describe('the drop rule (media is sent now or never)', () => {
  const room = { credit: 512 * KiB, window: 512 * KiB, socketBuffered: 0, open: true };

  it('sends audio and video while credit and the socket allow', () => {
    expect(mayMediaGo('audio', 200, room)).toBeUndefined();
    expect(mayMediaGo('video', 30 * KiB, room)).toBeUndefined();
  });

  it('keeps an eighth of the window back from video, for audio and chat', () => {
    const low = { ...room, credit: 64 * KiB + 10 * KiB };
    expect(mayMediaGo('video', 10 * KiB, low)).toBeUndefined();
    expect(mayMediaGo('video', 10 * KiB + 1, low)).toBe('credit');
    expect(mayMediaGo('audio', 70 * KiB, low)).toBeUndefined();
    expect(mayMediaGo('audio', 200, { ...room, credit: 100 })).toBe('credit');
  });

  it('drops video first when the socket backs up, audio only much later', () => {
    const backed = { ...room, socketBuffered: WATER_MARKS.videoSocket + 1 };
    expect(mayMediaGo('video', 1000, backed)).toBe('socket');
    expect(mayMediaGo('audio', 200, backed)).toBeUndefined();
    expect(mayMediaGo('audio', 200, { ...room, socketBuffered: WATER_MARKS.audioSocket + 1 })).toBe(
      'socket',
    );
    expect(mayMediaGo('control', 3, { ...room, open: false })).toBe('closed');
  });
});

describe('the video bitrate (fake clock)', () => {
  it('backs off on drops, once per burst, and climbs back after a calm spell', () => {
    let now = 0;
    const rate = new BitrateControl({
      startKbps: 500,
      minKbps: 100,
      maxKbps: 1000,
      now: () => now,
    });
    rate.dropped();
    expect(rate.kbps).toBe(350);
    now += DECREASE_GAP_MS - 1;
    rate.dropped(); // the same congestion event
    expect(rate.kbps).toBe(350);
    now += 1;
    rate.dropped();
    expect(rate.kbps).toBe(245);
    now += CALM_MS - 1;
    rate.sent();
    expect(rate.kbps).toBe(245);
    now += 1;
    rate.sent();
    expect(rate.kbps).toBe(282);
    rate.sent(); // at most one step a second
    expect(rate.kbps).toBe(282);
    // Slowly near where it backed off, for LIMIT_MEMORY_MS; then at 15 %/s again.
    for (let i = 0; i < LIMIT_MEMORY_MS / 1000 + 15; i += 1) {
      now += 1000;
      rate.sent();
    }
    expect(rate.kbps).toBe(1000);
  });

  it('climbs slowly near the rate it last backed off from, for a while', () => {
    let now = 0;
    const rate = new BitrateControl({ startKbps: 800, maxKbps: 1000, now: () => now });
    rate.dropped(); // the path gave out at 800
    expect(rate.kbps).toBe(560);
    const steps: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      now += 1000;
      rate.sent();
      steps.push(rate.kbps);
    }
    // 15 %/s up to 85 % of 800, then 3 %/s.
    expect(steps.slice(0, 4)).toEqual([560, 644, 663, 683]);
    now += LIMIT_MEMORY_MS;
    const before = rate.kbps;
    rate.sent();
    expect(rate.kbps).toBe(Math.round(before * 1.15)); // forgotten: the path may have changed
  });

  it('never goes below the floor, and halves the frame rate near it', () => {
    let now = 0;
    const rate = new BitrateControl({ startKbps: 500, minKbps: 100, now: () => now });
    expect(rate.frameGapMs).toBe(0);
    for (let i = 0; i < 20; i += 1) {
      now += DECREASE_GAP_MS;
      rate.dropped();
    }
    expect(rate.kbps).toBe(100);
    expect(rate.frameGapMs).toBeGreaterThan(0);
  });
});

describe('the frame budget holds the encoder to the rate (fake clock)', () => {
  /** 30 frames a second for `seconds`, each `frameBytes` when encoded: what went out. */
  function run(
    budget: FrameBudget,
    clock: { t: number },
    kbps: number,
    frameBytes: number,
    seconds = 1,
  ) {
    let sent = 0;
    let overruns = 0;
    for (let i = 0; i < 30 * seconds; i += 1) {
      clock.t += 1000 / 30;
      if (budget.allows(kbps)) {
        budget.spent(frameBytes);
        sent += 1;
      }
      if (budget.overrun) overruns += 1;
    }
    return { sent, overruns, kbps: (sent * frameBytes * 8) / 1000 / seconds };
  }

  it('lets every frame through while the encoder keeps to the rate', () => {
    const clock = { t: 0 };
    const budget = new FrameBudget(() => clock.t);
    // 300 kbit/s at 30 frames/s: 1250 bytes a frame.
    expect(run(budget, clock, 300, 1200, 5)).toEqual({ sent: 150, overruns: 0, kbps: 288 });
  });

  it('skips frames while the encoder overshoots: the rate sent stays near the target', () => {
    const clock = { t: 0 };
    const budget = new FrameBudget(() => clock.t);
    // Twice the rate (as measured: ~500 kbit/s against a 246 kbit/s target).
    const got = run(budget, clock, 250, 2083, 5);
    expect(got.kbps).toBeGreaterThan(230);
    expect(got.kbps).toBeLessThanOrEqual(250 + (250 * BUDGET_AHEAD_MS) / 1000 / 5 + 17);
    expect(got.sent).toBeLessThan(100);
    // Said once per OVERRUN_FRAMES frames looked at, not per frame.
    expect(got.overruns).toBe(Math.floor(150 / OVERRUN_FRAMES));
  });

  it('pays for a large frame with the frames after it, then goes on', () => {
    const clock = { t: 0 };
    const budget = new FrameBudget(() => clock.t);
    clock.t += 33;
    expect(budget.allows(400)).toBe(true);
    budget.spent(20_000); // 160 kbit: 400 ms at 400 kbit/s
    const skipped: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      clock.t += 1000 / 30;
      if (budget.allows(400)) budget.spent(1000);
      else skipped.push(i);
    }
    // Skipped until the burst drained to BUDGET_AHEAD_MS of the rate (300 ms), then none.
    expect(skipped).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('charges a key frame at most KEY_CHARGE_MS of the rate', () => {
    const clock = { t: 0 };
    const budget = new FrameBudget(() => clock.t);
    expect(budget.allows(400)).toBe(true);
    budget.spent(100_000, true); // 800 kbit: two seconds at 400 kbit/s
    let skipped = 0;
    for (let i = 0; i < 60; i += 1) {
      clock.t += 1000 / 30;
      if (budget.allows(400)) break;
      skipped += 1;
    }
    // Paused only until KEY_CHARGE_MS of the rate drained to BUDGET_AHEAD_MS of it.
    expect(skipped).toBe(Math.ceil((KEY_CHARGE_MS - BUDGET_AHEAD_MS) / (1000 / 30)) - 1);
  });

  it('forgets what was sent on reset (a new source)', () => {
    const clock = { t: 0 };
    const budget = new FrameBudget(() => clock.t);
    budget.spent(100_000);
    expect(budget.allows(300)).toBe(false);
    budget.reset();
    expect(budget.allows(300)).toBe(true);
  });
});

describe('the encoded size follows the encoder (fake clock)', () => {
  /** Feeds `count` frames `gapMs` apart, each taking `encodeMs`; returns the scale after. */
  function feed(load: EncoderLoad, clock: { t: number }, count: number, encodeMs: number) {
    for (let i = 0; i < count; i++) {
      clock.t += 33;
      load.encoded(encodeMs);
    }
    return load.scale;
  }

  it('starts a source at half its size and steps up once the encoder shows room', () => {
    const clock = { t: 0 };
    const load = new EncoderLoad({ now: () => clock.t });
    expect(load.scale).toBe(SCALE_STEPS[START_STEP]);
    expect(SCALE_STEPS[START_STEP]).toBe(0.5);
    feed(load, clock, Math.ceil(UP_CALM_MS / 33) + 10, 5);
    expect(load.scale).toBe(SCALE_STEPS[START_STEP - 1]);
  });

  it('steps the size down while encoding is slow, as far as the time says, once a second', () => {
    const clock = { t: 0 };
    const load = new EncoderLoad({ now: () => clock.t, startStep: 0 });
    expect(load.scale).toBe(1);
    // Fewer samples than it looks at: no decision yet.
    expect(feed(load, clock, LOAD_SAMPLES - 1, OVERUSE_MS * 1.5)).toBe(1);
    // 1.5 × the limit: ¾ of the size has 0.56 of the pixels — one step is enough.
    expect(feed(load, clock, 1, OVERUSE_MS * 1.5)).toBe(SCALE_STEPS[1]);
    // Slow again at once: not before DOWN_GAP_MS.
    expect(feed(load, clock, LOAD_SAMPLES, 2000)).toBe(SCALE_STEPS[1]);
    clock.t += DOWN_GAP_MS;
    // Far too slow: straight to the smallest size, in one change.
    expect(feed(load, clock, LOAD_SAMPLES, 2000)).toBe(SCALE_STEPS.at(-1));
    clock.t += DOWN_GAP_MS;
    expect(feed(load, clock, LOAD_SAMPLES, 2000)).toBe(SCALE_STEPS.at(-1));
  });

  it('steps as far down as it takes for the smaller size to be under the limit', () => {
    const clock = { t: 0 };
    const load = new EncoderLoad({ now: () => clock.t, startStep: 0 });
    // 3 × the limit: ¾ (×0.56) would take 1.7 ×, ½ (×0.25) 0.75 × — two steps.
    expect(feed(load, clock, LOAD_SAMPLES, OVERUSE_MS * 3)).toBe(SCALE_STEPS[2]);
  });

  it("does not count an encoder's first second at a size (set-up and key frame)", () => {
    const clock = { t: 0 };
    const load = new EncoderLoad({ now: () => clock.t, startStep: 0 });
    load.started();
    // Slow first frames, as every encoder's are: no step.
    expect(feed(load, clock, Math.floor(WARM_UP_MS / 33), 400)).toBe(1);
    expect(feed(load, clock, LOAD_SAMPLES, 5)).toBe(1);
    // Slow once warm: load.
    expect(feed(load, clock, LOAD_SAMPLES, 400)).toBeLessThan(1);
  });

  it('takes the median: one stalled frame among fast ones is not load', () => {
    const clock = { t: 0 };
    const load = new EncoderLoad({ now: () => clock.t, startStep: 0 });
    for (let i = 0; i < 50; i++) {
      feed(load, clock, LOAD_SAMPLES - 1, 5);
      feed(load, clock, 1, 900);
    }
    expect(load.scale).toBe(1);
  });

  it('steps down when its frames are too large for the rate, as for a slow encoder', () => {
    const clock = { t: 0 };
    const load = new EncoderLoad({ now: () => clock.t, startStep: 0 });
    load.oversized();
    expect(load.scale).toBe(SCALE_STEPS[1]);
    load.oversized(); // not twice within DOWN_GAP_MS
    expect(load.scale).toBe(SCALE_STEPS[1]);
    clock.t += DOWN_GAP_MS;
    load.oversized();
    expect(load.scale).toBe(SCALE_STEPS[2]);
    // A fast encoder does not step back up before UP_CALM_MS after the last overrun.
    feed(load, clock, Math.floor((UP_CALM_MS - 500) / 33), 5);
    expect(load.scale).toBe(SCALE_STEPS[2]);
    feed(load, clock, Math.ceil(1000 / 33), 5);
    expect(load.scale).toBe(SCALE_STEPS[1]);
  });

  it('steps back up after a calm spell with room for the larger size, and waits longer after a step up that failed', () => {
    const clock = { t: 0 };
    const load = new EncoderLoad({ now: () => clock.t, startStep: 0 });
    feed(load, clock, LOAD_SAMPLES, OVERUSE_MS * 1.3);
    expect(load.scale).toBe(SCALE_STEPS[1]);
    // Under the limit, but the full size (1.78 × the pixels) would not leave UP_HEADROOM.
    const upFrom1 = 1 / (SCALE_STEPS[1] ?? 1) ** 2;
    const tight = (OVERUSE_MS * UP_HEADROOM) / upFrom1 + 2;
    expect(tight).toBeLessThan(OVERUSE_MS);
    feed(load, clock, Math.ceil(UP_CALM_MS / 33) + 10, tight);
    expect(load.scale).toBe(SCALE_STEPS[1]);
    // Fast for UP_CALM_MS: one step up.
    feed(load, clock, Math.ceil(UP_CALM_MS / 33) + 10, 5);
    expect(load.scale).toBe(1);
    // That size is too much again: down (once the new size had a second), and the next try
    // waits twice as long.
    clock.t += DOWN_GAP_MS;
    feed(load, clock, LOAD_SAMPLES, OVERUSE_MS * 1.3);
    expect(load.scale).toBe(SCALE_STEPS[1]);
    feed(load, clock, Math.ceil((1.5 * UP_CALM_MS) / 33), 5);
    expect(load.scale).toBe(SCALE_STEPS[1]);
    feed(load, clock, Math.ceil((0.6 * UP_CALM_MS) / 33), 5);
    expect(load.scale).toBe(1);
  });
});

describe('the queue relayed frames wait in (receiver side)', () => {
  /** Frames every 20 ms from `from`, with `transit(i)` ms on the way; the reports made. */
  function run(queue: QueueDelay, from: number, count: number, transit: (i: number) => number) {
    const reports: Array<[number, number]> = [];
    for (let i = 0; i < count; i++) {
      const capture = from + i * 20;
      const report = queue.arrived('audio', capture, capture + transit(i));
      if (report !== undefined) reports.push([i, report]);
    }
    return reports;
  }

  it('says nothing while frames take their usual time, whatever the clocks’ offset', () => {
    // The receiver's clock 5 s ahead, transit 30–50 ms.
    expect(run(new QueueDelay(), 1e12, 1000, (i) => 5030 + (i % 3) * 10)).toEqual([]);
  });

  it('reports a growing queue, at most every REPORT_GAP_MS', () => {
    const queue = new QueueDelay();
    run(queue, 0, 100, () => 40);
    // The link carries less than is sent: each frame 5 ms later than the one before.
    const reports = run(queue, 2000, 200, (i) => 40 + 5 * i);
    const first = reports[0];
    expect(first?.[1]).toBeGreaterThan(REPORT_OVER_MS);
    // Reported once frames kept arriving that late for CONFIRM_MS (a frame every 25 ms).
    expect(first?.[0]).toBeLessThanOrEqual(Math.ceil(REPORT_OVER_MS / 5 + CONFIRM_MS / 25) + 1);
    for (let i = 1; i < reports.length; i++) {
      const gapMs = ((reports[i]?.[0] ?? 0) - (reports[i - 1]?.[0] ?? 0)) * 25;
      expect(gapMs).toBeGreaterThanOrEqual(REPORT_GAP_MS);
    }
  });

  it('takes no stall of a page for a queue: the last frames of its burst are on time', () => {
    const queue = new QueueDelay();
    run(queue, 0, 100, () => 40);
    // Frames captured during a 600 ms stall are handled together at its end.
    const stalled = (i: number) => (i < 30 ? 40 + (30 - i) * 20 : 40);
    expect(run(queue, 2000, 100, stalled)).toEqual([]);
    // Every stall of a second, over and over: still no queue.
    const stalls = (i: number) => 40 + (50 - (i % 50)) * 20;
    expect(run(queue, 4000, 500, stalls)).toEqual([]);
  });

  it('goes by audio (stamped as it leaves the encoder): a slow encoder is not a slow link', () => {
    const queue = new QueueDelay();
    run(queue, 0, 100, () => 40);
    // Video captured 300 ms before it left a busy encoder, audio on time: nothing to say.
    const reports: number[] = [];
    for (let i = 0; i < 100; i += 1) {
      const at = 2000 + i * 20;
      queue.arrived('audio', at - 40, at);
      const video = queue.arrived('video', at - 340, at);
      if (video !== undefined) reports.push(video);
    }
    expect(reports).toEqual([]);
    expect(queue.recentMaxMs).toBe(0);
    // Audio muted for AUDIO_FRESH_MS: video counts again.
    for (let i = 0; i < 60; i += 1) {
      const at = 4000 + AUDIO_FRESH_MS + i * 33;
      const report = queue.arrived('video', at - 40 - 5 * i, at);
      if (report !== undefined) reports.push(report);
    }
    expect(reports.length).toBeGreaterThan(0);
  });

  it('remembers the longest recent queue for RECENT_SECONDS (how much audio to hold)', () => {
    const queue = new QueueDelay();
    run(queue, 0, 100, () => 40);
    expect(queue.recentMaxMs).toBe(0);
    run(queue, 2000, 10, (i) => (i === 5 ? 240 : 40)); // one frame 200 ms late
    expect(queue.recentMaxMs).toBe(200);
    run(queue, 2200, (RECENT_SECONDS * 1000) / 20, () => 40);
    expect(queue.recentMaxMs).toBe(0);
  });
});

describe('the audio jitter buffer (fake clock)', () => {
  /** Feeds 20 ms chunks arriving every 20 ms from `from` for `ms`; returns the slots. */
  const steady = (buffer: JitterBuffer, from: number, ms: number) => {
    const slots = [];
    for (let now = from; now < from + ms; now += 20) slots.push(buffer.schedule(now, 20));
    return slots;
  };

  it('plays chunks back to back from the target ahead, at normal speed on a steady link', () => {
    const buffer = new JitterBuffer({ targetMs: 60 });
    expect(buffer.schedule(1000, 20)).toEqual({ at: 1060, rate: 1 });
    expect(buffer.schedule(1020, 20)).toEqual({ at: 1080, rate: 1 });
    const slots = steady(buffer, 1040, 10_000);
    expect(slots.every((slot) => slot?.rate === 1)).toBe(true);
    expect(buffer.gaps).toBe(0);
    expect(buffer.aheadMs(11_040)).toBe(60);
  });

  it('after a gap restarts at once, raises the target by the lateness, and grows the queue by playing slower', () => {
    const buffer = new JitterBuffer({ targetMs: 60, maxTargetMs: 400 });
    steady(buffer, 0, 1000); // queue 60 ms; the last chunk ends at 1060
    // Nothing for 200 ms: the next chunk comes 140 ms after its slot.
    expect(buffer.schedule(1200, 20)).toEqual({ at: 1200 + RESTART_LEAD_MS, rate: SLOW_RATE });
    expect(buffer.gaps).toBe(1);
    expect(buffer.longestGapMs).toBe(140 + RESTART_LEAD_MS);
    expect(buffer.targetMs).toBe(200);
    // A steady link from then on: slower until the queue reaches the target, then normal.
    const slots = steady(buffer, 1220, 8000);
    expect(slots[0]?.rate).toBe(SLOW_RATE);
    expect(slots.at(-1)?.rate).toBe(1);
    expect(buffer.aheadMs(9220)).toBeGreaterThanOrEqual(200 - ON_TARGET_MS);
    // The same hiccup again is absorbed: no new gap.
    steady(buffer, 9400, 1000);
    expect(buffer.gaps).toBe(1);
    // Never past maxTargetMs.
    buffer.schedule(20_000, 20);
    expect(buffer.targetMs).toBe(400);
  });

  it('after a calm spell lowers the target, and shrinks the queue by playing faster', () => {
    const buffer = new JitterBuffer({ targetMs: 60, maxTargetMs: 400 });
    steady(buffer, 0, 1000);
    buffer.schedule(1300, 20); // 240 late: target 300
    steady(buffer, 1320, 12_000); // the queue grows to ~300
    const grown = buffer.aheadMs(13_320);
    const slots = steady(buffer, 13_320, 60_000);
    expect(slots.some((slot) => slot?.rate === FAST_RATE)).toBe(true);
    expect(buffer.targetMs).toBe(60);
    expect(buffer.aheadMs(73_320)).toBeLessThan(grown);
    expect(buffer.aheadMs(73_320)).toBeLessThanOrEqual(60 + ON_TARGET_MS + 20);
    expect(buffer.gaps).toBe(1);
  });

  it('holds at least the queue seen on the route, up to maxTargetMs', () => {
    const buffer = new JitterBuffer({ targetMs: 100, maxTargetMs: 400 });
    steady(buffer, 0, 1000);
    buffer.keepAtLeast(250);
    expect(buffer.targetMs).toBe(250);
    const slots = steady(buffer, 1000, 6000);
    expect(slots[0]?.rate).toBe(SLOW_RATE);
    expect(buffer.aheadMs(7000)).toBeGreaterThanOrEqual(250 - ON_TARGET_MS);
    buffer.keepAtLeast(900);
    expect(buffer.targetMs).toBe(400);
    buffer.keepAtLeast(0);
    expect(buffer.targetMs).toBe(100);
    expect(buffer.gaps).toBe(0);
  });

  it('plays the next chunk after the length the player made of this one', () => {
    const buffer = new JitterBuffer({ targetMs: 60 });
    const asked: number[] = [];
    // The player rounds to whole periods: this 20 ms chunk became 26 ms.
    const first = buffer.schedule(1000, 20, (rate) => {
      asked.push(rate);
      return 26;
    });
    expect(first).toEqual({ at: 1060, rate: 1 });
    expect(buffer.schedule(1020, 20, () => 26)).toEqual({ at: 1086, rate: 1 });
    expect(asked).toEqual([1]);
  });

  it('drops what would play more than slackMs beyond the target: a burst cannot build up latency', () => {
    const buffer = new JitterBuffer({ targetMs: 60, slackMs: 190 });
    const slots = Array.from({ length: 30 }, () => buffer.schedule(0, 20));
    expect(slots.filter((slot) => slot !== undefined).length).toBeLessThan(15);
    expect(buffer.dropped).toBeGreaterThan(15);
    expect(buffer.aheadMs(0)).toBeLessThanOrEqual(60 + 190 + 21);
  });
});

describe('which stream the app sees', () => {
  const stream = (id: string) => ({ id }) as unknown as MediaStream;

  it('shows the relayed stream while there is one, then the direct one again', () => {
    const seen: string[] = [];
    const streams = new StreamSwitch()
      .on('stream', (s) => seen.push(`stream ${s.id}`))
      .on('ended', (s) => seen.push(`ended ${s.id}`));
    const direct = stream('direct');
    const relayed = stream('relayed');
    streams.direct(direct);
    streams.direct(direct); // tracks changed: told again
    streams.relay(relayed); // the direct link broke: relayed media takes over
    streams.direct(direct); // the direct stream changes in the background: not told
    streams.relayEnded(relayed); // direct is back
    streams.directEnded(direct);
    expect(seen).toEqual([
      'stream direct',
      'stream direct',
      'ended direct',
      'stream relayed',
      'ended relayed',
      'stream direct',
      'ended direct',
    ]);
    expect(streams.current).toBeUndefined();
  });
});

/** A relay socket that records what is sent. */
function fakeSocket(buffered = 0) {
  const sent: Uint8Array[] = [];
  const socket = {
    on: () => socket,
    bufferedAmount: buffered,
    canRelay: true,
    sendRelay: (frame: Uint8Array) => {
      sent.push(frame.slice());
      return true;
    },
    send: () => {},
  };
  return { socket: socket as unknown as RelaySocket, sent };
}

describe('the relay route’s media lane', () => {
  const terms = { window: 512 * KiB, maxChunk: 64 * KiB, media: true };

  it('sends a media frame at once, in pieces when large, and spends credit', () => {
    const { socket, sent } = fakeSocket();
    const route = new RelayRoute('b'.repeat(22), terms, socket, () => {});
    expect(route.sendMedia(bytes(100 * KiB), 'video')).toBe(true);
    expect(sent).toHaveLength(2);
    expect(sent[0]?.[RELAY_HEADER_BYTES]).toBe(RELAY_LANE.MEDIA | RELAY_MORE_PIECES);
    expect(sent[1]?.[RELAY_HEADER_BYTES]).toBe(RELAY_LANE.MEDIA);
    expect(route.mediaRoom.credit).toBe(terms.window - 100 * KiB - 2);
  });

  it('holds file pieces back while audio or video flows, not for control frames', () => {
    // The socket holds what files may add to it while media flows, far less than otherwise.
    const { socket, sent } = fakeSocket(WATER_MARKS.bulkWithMedia);
    const route = new RelayRoute('b'.repeat(22), terms, socket, () => {});
    // Every relay link sends its media state each second, call or not: not a call.
    expect(route.sendMedia(bytes(10), 'control')).toBe(true);
    route.bulk.send(bytes(1000));
    expect(sent).toHaveLength(2);
    expect(route.bulk.queued).toBe(0);
    expect(route.sendMedia(bytes(100), 'audio')).toBe(true);
    route.bulk.send(bytes(1000));
    expect(sent).toHaveLength(3);
    expect(route.bulk.queued).toBeGreaterThan(0);
  });

  it('puts pieces back together, and refuses one frame too large (INVALID_DATA upstream)', () => {
    const { socket } = fakeSocket();
    const route = new RelayRoute('b'.repeat(22), terms, socket, () => {});
    const frames: number[] = [];
    const invalid: string[] = [];
    route.media = { frame: (f) => frames.push(f.byteLength), invalid: (r) => invalid.push(r) };
    const piece = (size: number, more: boolean) => {
      const payload = new Uint8Array(size + 1);
      payload[0] = RELAY_LANE.MEDIA | (more ? RELAY_MORE_PIECES : 0);
      route.receive(payload);
    };
    piece(60 * KiB, true);
    piece(10 * KiB, false);
    for (let i = 0; i < 6; i += 1) piece(60 * KiB, true); // 360 KiB: over the bound
    piece(1, false);
    piece(500, false); // the next frame is fine again
    expect(frames).toEqual([70 * KiB, 500]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatch(/a media frame of \d+ bytes \(limit 327680\)/);
  });
});

describe('feature detection', () => {
  it('says what is missing in Node: no WebCodecs, so no relayed media', () => {
    const support = relayMediaSupport();
    expect(support.webCodecs).toBe(false);
    expect(support.missing).toMatch(/no WebCodecs \(VideoEncoder, VideoDecoder, AudioEncoder/);
  });
});

describe('whether a call runs over the relay (`live`)', () => {
  it('is live while on and media flows one way, and tells the link each change', () => {
    const route = roomyRoute(() => true);
    let changes = 0;
    const media = relayMediaOn(route, () => {
      changes += 1;
    });
    const peerSays = (audio: boolean) =>
      route.media?.frame(
        writeState({ audio, video: false, audioOn: audio, videoOn: false, decodes: true }),
      );
    peerSays(true); // the peer publishes audio, but relayed media is off here
    expect(media.live).toBe(false);
    media.setActive(true);
    expect(media.live).toBe(true);
    const told = changes;
    expect(told).toBeGreaterThan(0);
    peerSays(false); // it stopped publishing (this side sends nothing: no WebCodecs in Node)
    expect(media.live).toBe(false);
    expect(changes).toBe(told + 1);
    peerSays(true);
    media.setActive(false);
    expect(media.live).toBe(false);
    media.close();
  });
});

describe('what a RelayMedia tells its route it sends', () => {
  it('sends its media state as a control frame (which does not hold files back)', () => {
    const kinds: string[] = [];
    const media = relayMediaOn(roomyRoute((_frame, kind) => kinds.push(kind) > 0));
    media.setActive(true); // on the relay: its state now, and every second
    media.setActive(false); // off: a last state saying "nothing"
    expect(kinds).toEqual(['control', 'control']);
    media.close();
  });
});

const NOTHING_SENT = {
  audio: { published: false, track: null, active: false },
  video: { published: false, track: null, active: false },
};

/** A route with room to spare (1 MiB of credit, an empty socket) that hands frames to `sendMedia`. */
function roomyRoute(sendMedia: MediaRoute['sendMedia']): MediaRoute {
  return {
    media: undefined,
    mediaAllowed: true,
    mediaRoom: { credit: 1 << 20, window: 1 << 20, socketBuffered: 0, open: true },
    pieceBytes: 64 * 1024,
    sendMedia,
    wantCredit() {},
  };
}

/** A RelayMedia for peer `p` on `route`, sending nothing of its own (no WebCodecs in Node). */
function relayMediaOn(route: MediaRoute, onChange: () => void = () => {}): RelayMedia {
  return new RelayMedia({
    peerId: 'p',
    route,
    local: { sendState: () => NOTHING_SENT, watch: () => () => {} },
    onStream: () => {},
    onStreamEnded: () => {},
    onError: () => {},
    onChange,
  });
}
