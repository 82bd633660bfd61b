import { describe, expect, it } from 'vitest';
import { describeTransfer } from '../../demo/transfer-row.js';
import type { TransferProgress } from '../../sdk/index.js';

const halfway: TransferProgress = {
  size: 2_000_000,
  bytesTransferred: 1_000_000,
  bytesConfirmed: 1_000_000,
  bytesPerSecond: 1_000_000,
  etaMs: 1000,
};

describe("a file row's status line", () => {
  it('says why a file is slow while a call runs with the other person', () => {
    const line = (inCall: boolean) =>
      describeTransfer('transferring', 1_000_000, halfway, 'Ada', true, inCall);
    expect(line(false)).toBe('50% · 977 KB/s · 1 s left');
    expect(line(true)).toBe(
      '50% · 977 KB/s · 1 s left · slower during the call, so it stays smooth',
    );
    // Only while bytes move: waiting and finished rows say nothing of the call.
    expect(describeTransfer('offered', 0, halfway, 'Ada', true, true)).toBe(
      'Waiting for Ada to accept',
    );
    expect(describeTransfer('complete', 2_000_000, halfway, 'Ada', true, true)).toBe('Sent to Ada');
  });
});
