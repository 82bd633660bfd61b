import { describe, expect, it } from 'vitest';
import { runBigTransfer } from '../helpers/big-transfer.js';
import { patternSha256 } from '../helpers/files.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('a 1 GiB file between Node peers', () => {
  it('arrives from a generated stream with the same SHA-256, and memory stays bounded', async () => {
    const [report, expected] = await Promise.all([
      runBigTransfer(GiB, 170_000),
      patternSha256(GiB, 42),
    ]);
    const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
    console.log(
      `1 GiB in ${report.seconds.toFixed(1)} s (${(1024 / report.seconds).toFixed(1)} MiB/s), ` +
        `sender and receiver in one process: heap growth ${mib(report.peakHeapGrowth)} at most ` +
        `(${mib(report.peakRawHeapGrowth)} counting uncollected garbage), ArrayBuffers ` +
        `${mib(report.peakArrayBufferGrowth)} at most, heap ${mib(report.heapGrowthAfter)} after`,
    );
    expect(report.bytes).toBe(GiB);
    expect(report.sha256).toBe(expected);
    expect(report.peakHeapGrowth).toBeLessThan(64 * MiB);
    expect(report.peakArrayBufferGrowth).toBeLessThan(64 * MiB);
  }, 180_000);
});
