import { describe, expect, it, vi } from 'vitest';
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
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const bucket = new TokenBucket(3, 2);
      expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
        true,
        true,
        true,
        false,
      ]);
      vi.advanceTimersByTime(499);
      expect(bucket.take()).toBe(false);
      vi.advanceTimersByTime(1);
      expect(bucket.take()).toBe(true);
      vi.advanceTimersByTime(59_500);
      expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
        true,
        true,
        true,
        false,
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});
