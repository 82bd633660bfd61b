import { describe, expect, it } from 'vitest';
import { createPeerIdentity, verifyPeerIdentity } from '../../signaling/ids.js';
import { PEER_ID_PATTERN, SECRET_PATTERN } from '../../signaling/protocol.js';
import { TokenBucket } from '../../signaling/token-bucket.js';

describe('createPeerIdentity', () => {
  it('mints distinct ids that only their own secret verifies', () => {
    const a = createPeerIdentity();
    const b = createPeerIdentity();
    expect(a.peerId).toMatch(PEER_ID_PATTERN);
    expect(a.secret).toMatch(SECRET_PATTERN);
    expect(a.peerId).not.toBe(b.peerId);
    expect(verifyPeerIdentity(a)).toBe(true);
    expect(verifyPeerIdentity({ peerId: a.peerId, secret: b.secret })).toBe(false);
    expect(verifyPeerIdentity({ peerId: 'short', secret: a.secret })).toBe(false);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, refuses beyond it, and refills over time', () => {
    let now = 0;
    const bucket = new TokenBucket(3, 2, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    now = 499;
    expect(bucket.take()).toBe(false);
    now = 500;
    expect(bucket.take()).toBe(true);
    now = 60_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });
});
