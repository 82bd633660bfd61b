import { describe, expect, it } from 'vitest';
import { SenderActivity } from '../../sdk/media/sender-activity.js';

/**
 * A sender with the parts of RTCRtpSender that muting uses. Like a browser, it refuses
 * parameters that do not come from its latest getParameters() (the transaction id), and
 * takes a while to apply them.
 */
function fakeSender(encodings: RTCRtpEncodingParameters[]) {
  let transaction = 0;
  const applied: boolean[][] = [];
  const sender = {
    getParameters: () => ({
      transactionId: String(++transaction),
      encodings: encodings.map((e) => ({ ...e })),
      codecs: [],
      headerExtensions: [],
      rtcp: {},
    }),
    async setParameters(parameters: RTCRtpSendParameters) {
      if (parameters.transactionId !== String(transaction)) {
        throw new DOMException('stale parameters', 'InvalidModificationError');
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
      encodings = parameters.encodings;
      applied.push(encodings.map((e) => e.active ?? true));
    },
  };
  return { sender: sender as unknown as RTCRtpSender, applied, now: () => encodings };
}

describe('SenderActivity (muting by turning encodings off)', () => {
  it('turns every encoding off, and on again', async () => {
    const { sender, now } = fakeSender([{}, { active: true }]);
    const activity = new SenderActivity();
    expect(await activity.set(sender, false)).toBe(true);
    expect(now().map((e) => e.active)).toEqual([false, false]);
    expect(await activity.set(sender, true)).toBe(true);
    expect(now().map((e) => e.active)).toEqual([true, true]);
  });

  it('leaves a sender alone that is already as asked (no setParameters)', async () => {
    const { sender, applied } = fakeSender([{}]);
    expect(await new SenderActivity().set(sender, true)).toBe(true);
    expect(applied).toEqual([]);
  });

  it('says false for a sender with no encodings yet (not negotiated): try again later', async () => {
    const { sender, applied } = fakeSender([]);
    expect(await new SenderActivity().set(sender, false)).toBe(false);
    expect(applied).toEqual([]);
  });

  it('runs quick changes of one sender one after another: no stale parameters, the last wins', async () => {
    const { sender, applied, now } = fakeSender([{}]);
    const activity = new SenderActivity();
    const results = await Promise.all([
      activity.set(sender, false),
      activity.set(sender, true),
      activity.set(sender, false),
    ]);
    expect(results).toEqual([true, true, true]);
    expect(applied).toEqual([[false], [true], [false]]);
    expect(now()[0]?.active).toBe(false);
  });

  it('rejects when the browser refuses, and the next change of that sender still runs', async () => {
    const { sender, now } = fakeSender([{}]);
    const setParameters = sender.setParameters.bind(sender);
    let refuse = true;
    sender.setParameters = (parameters) => {
      if (!refuse) return setParameters(parameters);
      refuse = false;
      return Promise.reject(new DOMException('closed', 'InvalidStateError'));
    };
    const activity = new SenderActivity();
    const [refused, next] = await Promise.allSettled([
      activity.set(sender, false),
      activity.set(sender, false),
    ]);
    expect(refused).toMatchObject({ status: 'rejected', reason: { message: 'closed' } });
    expect(next).toEqual({ status: 'fulfilled', value: true });
    expect(now()[0]?.active).toBe(false);
  });
});
