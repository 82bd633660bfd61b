import { describe, expect, it } from 'vitest';
import { OfferQueue } from '../../sdk/link/direct/offer-queue.js';

/** A queue whose offers are recorded (true = ICE restart) and whose clock the test moves. */
function queue(inFlight = false, fail = false) {
  const offers: boolean[] = [];
  let time = 0;
  const q = new OfferQueue(
    {
      offer: async (iceRestart) => {
        offers.push(iceRestart);
        if (fail) throw new Error('createOffer failed');
      },
      staleMs: 5000,
      now: () => time,
    },
    inFlight,
  );
  return { q, offers, advance: (ms: number) => (time += ms) };
}

describe('OfferQueue: one offer/answer round at a time', () => {
  it('offers at once when idle, and holds the next request until the round settles', () => {
    const { q, offers } = queue();
    q.request(false);
    expect(offers).toEqual([false]);
    q.request(false);
    q.request(false);
    expect(offers).toEqual([false]); // the answer is not in yet
    q.settled();
    expect(offers).toEqual([false, false]); // the two waiting requests make one round
    q.settled();
    expect(offers).toEqual([false, false]);
    expect(q.busy).toBe(false);
  });

  it('waits for the first offer made by someone else (simple-peer) when told so', () => {
    const { q, offers } = queue(true);
    q.request(false);
    expect(offers).toEqual([]);
    q.settled();
    expect(offers).toEqual([false]);
  });

  it('merges waiting requests into one ICE restart when any asked for one', () => {
    const { q, offers } = queue();
    q.request(false);
    q.request(true);
    q.request(false);
    q.settled();
    expect(offers).toEqual([false, true]);
  });

  it('replaces an offer left unanswered for staleMs, not before', () => {
    const { q, offers, advance } = queue();
    q.request(false);
    advance(4999);
    q.request(true);
    expect(offers).toEqual([false]);
    advance(1);
    q.request(false);
    expect(offers).toEqual([false, true]); // the ICE restart waiting since before is kept
  });

  it('is free again after an offer that failed to be made', async () => {
    const { q, offers } = queue(false, true);
    q.request(false);
    await Promise.resolve();
    await Promise.resolve();
    expect(q.busy).toBe(false);
    q.request(false);
    expect(offers).toEqual([false, false]);
  });

  it('offers nothing once closed', () => {
    const { q, offers } = queue(true);
    q.request(true);
    q.close();
    q.settled();
    q.request(false);
    expect(offers).toEqual([]);
  });
});
