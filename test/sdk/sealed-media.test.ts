/**
 * Relayed media sealed end to end, over fake media routes (real WebCrypto): frames open in
 * order and nothing on the wire is the plaintext; gaps are accepted (media is lossy);
 * replays, frames older than the replay window, altered frames and frames under a key id
 * the peer stopped using are refused and reported, and frames after them still open; a
 * peer with another secret is a mismatch; the room the sender sees leaves space for the
 * seal. Also the replay window on its own.
 */
import { describe, expect, it } from 'vitest';
import { REPLAY_WINDOW, ReplayWindow } from '../../sdk/e2ee/replay-window.js';
import { RoomKeys } from '../../sdk/e2ee/room-keys.js';
import { SEAL_OVERHEAD } from '../../sdk/e2ee/sealed-frame.js';
import { newPeerRecord, type PeerRecord, sealRoute } from '../../sdk/e2ee/sealed-route.js';
import type { MediaEnd, MediaRoute, RelayMediaKind } from '../../sdk/link/relay/relay-route.js';
import { memoryLanePair } from '../helpers/memory-lanes.js';

const SECRET = 'a room secret of enough length';

/** One side's relay route as media sees it: what it sends is kept, for the test to deliver. */
class FakeMediaRoute implements MediaRoute {
  media: MediaEnd | undefined;
  readonly mediaAllowed = true;
  readonly pieceBytes = 16 * 1024 - 1;
  readonly sent: Uint8Array[] = [];
  readonly kinds: RelayMediaKind[] = [];
  credit = 1 << 20;
  get mediaRoom() {
    return { credit: this.credit, window: 1 << 20, socketBuffered: 0, open: true };
  }
  sendMedia(frame: Uint8Array, kind: RelayMediaKind): boolean {
    this.sent.push(frame.slice());
    this.kinds.push(kind);
    return true;
  }
  wantCredit(): void {}
}

/** A sealed sender from alice to bob (a fresh key id each call: a reload) and bob's end. */
async function side(secret: string, self: string, remote: string, record?: PeerRecord) {
  const route = Object.assign(new FakeMediaRoute(), memoryLaneRoute());
  const problems: string[] = [];
  const keys = await RoomKeys.derive(secret, 'room');
  const sealed = sealRoute(
    route,
    keys,
    self,
    remote,
    {
      onMismatch: (reason) => problems.push(`mismatch: ${reason}`),
      onInvalid: (lane, reason) => problems.push(`invalid ${lane}: ${reason}`),
    },
    record,
  );
  const media = sealed.mediaRoute;
  if (!media) throw new Error('a media route is sealed with its media');
  const got: number[][] = [];
  media.media = {
    frame: (bytes) => got.push([...bytes]),
    invalid: (reason) => problems.push(`media invalid: ${reason}`),
  };
  /** Hands `frame` to this side as the relay would. */
  const deliver = (frame: Uint8Array | undefined) => route.media?.frame(frame as Uint8Array);
  return { route, media, problems, got, deliver };
}

function memoryLaneRoute() {
  const [message] = memoryLanePair();
  const [bulk] = memoryLanePair();
  return { message, bulk };
}

async function pair(secrets: [string, string] = [SECRET, SECRET]) {
  return { a: await side(secrets[0], 'alice', 'bob'), b: await side(secrets[1], 'bob', 'alice') };
}

const until = async (done: () => boolean) => {
  for (let i = 0; i < 500 && !done(); i += 1) await new Promise((r) => setTimeout(r, 2));
};
const frame = (n: number, size = 8) => new Uint8Array(size).fill(n);

describe('SealedMedia (WebCrypto, fake relay routes)', () => {
  it('seals each frame (header and tag added), opens them in order, shows no plaintext', async () => {
    const { a, b } = await pair();
    const frames: Array<[number, RelayMediaKind]> = [
      [100, 'audio'],
      [30_000, 'video'],
      [100, 'control'],
      [5_000, 'video'],
      [100, 'audio'],
    ];
    const sizes = frames.map(([size]) => size);
    for (const [i, [size, kind]] of frames.entries()) a.media.sendMedia(frame(i + 1, size), kind);
    await until(() => a.route.sent.length === sizes.length);
    expect(a.route.sent.map((f) => f.byteLength)).toEqual(sizes.map((s) => s + SEAL_OVERHEAD));
    // Sealed, each still says what it carries (control frames do not make media flow).
    expect(a.route.kinds).toEqual(frames.map(([, kind]) => kind));
    for (const sent of a.route.sent) {
      // 32 bytes of any plaintext frame (each is one repeated byte) would show here.
      expect(Buffer.from(sent).includes(Buffer.from(frame(sent[20] ?? 0, 32)))).toBe(false);
    }
    for (const sent of a.route.sent) b.deliver(sent);
    await until(() => b.got.length === sizes.length);
    expect(b.got.map((f) => [f.length, f[0]])).toEqual(sizes.map((s, i) => [s, i + 1]));
    expect(b.problems).toEqual([]);
  });

  it('accepts gaps (frames the relay dropped) without complaint', async () => {
    const { a, b } = await pair();
    for (let i = 0; i < 10; i += 1) a.media.sendMedia(frame(i), 'video');
    await until(() => a.route.sent.length === 10);
    for (const i of [0, 1, 4, 9]) b.deliver(a.route.sent[i]);
    await until(() => b.got.length === 4);
    expect(b.got.map((f) => f[0])).toEqual([0, 1, 4, 9]);
    // A frame that was late (out of order) but within the window is taken once.
    b.deliver(a.route.sent[6]);
    await until(() => b.got.length === 5);
    expect(b.got.map((f) => f[0])).toEqual([0, 1, 4, 9, 6]);
    expect(b.problems).toEqual([]);
  });

  it('refuses a replay and a frame older than the window; later frames still open', async () => {
    const { a, b } = await pair();
    for (let i = 0; i < REPLAY_WINDOW + 10; i += 1) a.media.sendMedia(frame(i % 256), 'video');
    await until(() => a.route.sent.length === REPLAY_WINDOW + 10);
    b.deliver(a.route.sent[1]);
    b.deliver(a.route.sent[1]); // the server replays it
    await until(() => b.problems.length === 1);
    b.deliver(a.route.sent[REPLAY_WINDOW + 5]);
    b.deliver(a.route.sent[2]); // never seen, but the window slid past it
    b.deliver(a.route.sent[REPLAY_WINDOW + 6]);
    await until(() => b.got.length === 3);
    expect(b.got.map((f) => f[0])).toEqual([
      1,
      (REPLAY_WINDOW + 5) % 256,
      (REPLAY_WINDOW + 6) % 256,
    ]);
    expect(b.problems).toEqual([
      'media invalid: a relayed media frame repeats number 1 (a replay)',
      'media invalid: a relayed media frame number 2 is older than the replay window',
    ]);
  });

  it('drops a frame with a flipped byte (INVALID_DATA upstream) and goes on', async () => {
    const { a, b } = await pair();
    for (let i = 0; i < 3; i += 1) a.media.sendMedia(frame(i, 1000), 'video');
    await until(() => a.route.sent.length === 3);
    b.deliver(a.route.sent[0]);
    const flipped = (a.route.sent[1] as Uint8Array).slice();
    flipped[500] = (flipped[500] ?? 0) ^ 1;
    b.deliver(flipped);
    b.deliver(a.route.sent[2]);
    await until(() => b.got.length === 2 && b.problems.length === 1);
    expect(b.got.map((f) => f[0])).toEqual([0, 2]);
    expect(b.problems).toEqual([
      'media invalid: a relayed media frame did not open with this room secret',
    ]);
    // A header that is not a sealed frame at all is refused the same way.
    b.deliver(Uint8Array.of(2, 0, 1));
    await until(() => b.problems.length === 2);
    expect(b.problems[1]).toBe('media invalid: a relayed frame of 3 bytes is not sealed');
  });

  it("refuses frames under the peer's old key id once it moved to a new one (a reload)", async () => {
    const { a, b } = await pair();
    const reloaded = await side(SECRET, 'alice', 'bob'); // alice's next sealed route: a new key id
    a.media.sendMedia(frame(1), 'video');
    reloaded.media.sendMedia(frame(2), 'video');
    await until(() => a.route.sent.length === 1 && reloaded.route.sent.length === 1);
    // Both start at number 0, under different keys: the nonce is never reused under one key.
    expect(a.route.sent[0]?.subarray(1, 9)).not.toEqual(reloaded.route.sent[0]?.subarray(1, 9));
    b.deliver(a.route.sent[0]);
    b.deliver(reloaded.route.sent[0]);
    b.deliver(a.route.sent[0]); // the old epoch again
    await until(() => b.got.length === 2 && b.problems.length === 1);
    expect(b.got.map((f) => f[0])).toEqual([1, 2]);
    expect(b.problems).toEqual([
      'media invalid: a relayed media frame under a key the peer no longer uses (a replay)',
    ]);
  });

  it("a route made anew for the peer takes on the record: the peer's old frames stay refused", async () => {
    const record = newPeerRecord();
    const a = await side(SECRET, 'alice', 'bob');
    const b = await side(SECRET, 'bob', 'alice', record);
    for (let i = 0; i < 3; i += 1) a.media.sendMedia(frame(i), 'video');
    await until(() => a.route.sent.length === 3);
    b.deliver(a.route.sent[0]);
    b.deliver(a.route.sent[1]);
    await until(() => b.got.length === 2);
    // Bob gave alice up and met her again (a new route); alice kept hers.
    const again = await side(SECRET, 'bob', 'alice', record);
    again.deliver(a.route.sent[1]); // the server replays it
    again.deliver(a.route.sent[2]);
    await until(() => again.got.length === 1 && again.problems.length === 1);
    expect(again.got.map((f) => f[0])).toEqual([2]);
    expect(again.problems).toEqual([
      'media invalid: a relayed media frame repeats number 1 (a replay)',
    ]);
  });

  it('a frame that is not for this pair or direction does not open', async () => {
    const { a, b } = await pair();
    const carol = await side(SECRET, 'carol', 'bob');
    a.media.sendMedia(frame(1), 'video');
    await until(() => a.route.sent.length === 1);
    b.deliver(a.route.sent[0]);
    await until(() => b.got.length === 1);
    carol.media.sendMedia(frame(9), 'video'); // sealed for bob, but by carol: not alice's key
    b.media.sendMedia(frame(8), 'video'); // bob's own frame to alice, reflected back to bob
    await until(() => carol.route.sent.length === 1 && b.route.sent.length === 1);
    b.deliver(carol.route.sent[0]);
    b.deliver(b.route.sent[0]);
    await until(() => b.problems.length === 2);
    expect(b.got).toHaveLength(1);
    expect(b.problems).toEqual(
      Array(2).fill('media invalid: a relayed media frame did not open with this room secret'),
    );
  });

  it('reports a mismatch when nothing from the peer ever opened (another secret)', async () => {
    const { a, b } = await pair([SECRET, 'another secret of enough length']);
    a.media.sendMedia(frame(1), 'video');
    await until(() => a.route.sent.length === 1);
    b.deliver(a.route.sent[0]);
    await until(() => b.problems.length === 1);
    expect(b.got).toEqual([]);
    expect(b.problems).toEqual([
      'mismatch: a relayed media frame did not open with this room secret',
    ]);
  });

  it('shows the sender a room that leaves space for the seal and for frames being sealed', async () => {
    const { a } = await pair();
    a.route.credit = 50_000;
    expect(a.media.mediaRoom.credit).toBe(50_000 - SEAL_OVERHEAD - 1);
    a.media.sendMedia(frame(1, 20_000), 'video');
    const cost = 20_000 + SEAL_OVERHEAD + 2; // two pieces, a tag byte each
    expect(a.media.mediaRoom.credit).toBe(50_000 - cost - SEAL_OVERHEAD - 1);
    expect(a.media.mediaRoom.socketBuffered).toBe(cost);
    await until(() => a.route.sent.length === 1);
    expect(a.media.mediaRoom.credit).toBe(50_000 - SEAL_OVERHEAD - 1);
  });
});

describe('ReplayWindow', () => {
  it('takes each number once, accepts gaps and late numbers within the window', () => {
    const w = new ReplayWindow();
    for (const n of [0, 1, 5, 3]) {
      expect(w.check(n)).toBeUndefined();
      w.take(n);
    }
    expect(w.highest).toBe(5);
    expect([0, 1, 3, 5].map((n) => w.check(n))).toEqual(Array(4).fill('replay'));
    expect(w.check(2)).toBeUndefined();
    expect(w.check(4)).toBeUndefined();
  });

  it('forgets what slid out of the window: older numbers are refused, the rest are clean', () => {
    const w = new ReplayWindow();
    w.take(10);
    w.take(10 + REPLAY_WINDOW - 1);
    expect(w.check(10)).toBe('replay'); // still inside
    w.take(10 + REPLAY_WINDOW);
    expect(w.check(10)).toBe('too-old');
    expect(w.check(11)).toBeUndefined(); // its slot was 10's: cleared when the window moved
    w.take(10 + 5 * REPLAY_WINDOW); // a long gap clears everything
    for (let n = 4 * REPLAY_WINDOW + 11; n < 10 + 5 * REPLAY_WINDOW; n += 97) {
      expect(w.check(n)).toBeUndefined();
    }
    expect(w.check(4 * REPLAY_WINDOW + 10)).toBe('too-old');
  });
});
