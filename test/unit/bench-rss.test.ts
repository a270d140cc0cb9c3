import { describe, expect, it } from 'vitest';
import { rssHighWaterMiB, rssMiB } from '../../bench/lib/rss.ts';

describe('RSS readings (soak suite)', () => {
  it('the high-water mark keeps a peak the current RSS has already left behind', () => {
    const before = rssMiB();
    let block: Buffer | undefined = Buffer.alloc(256 * 2 ** 20, 1); // filled, so every page is resident
    expect(rssMiB()).toBeGreaterThanOrEqual(before + 200);
    const peak = rssHighWaterMiB();
    expect(peak).toBeGreaterThanOrEqual(before + 200);
    expect(block.length).toBe(256 * 2 ** 20);
    block = undefined;
    // Whether or not the block's pages went back to the kernel, the mark does not come down.
    expect(rssHighWaterMiB()).toBeGreaterThanOrEqual(peak);
    // Read RSS first: the kernel reports VmHWM as at least the RSS of the moment it is read.
    const now = rssMiB();
    expect(rssHighWaterMiB()).toBeGreaterThanOrEqual(now);
  });

  it('a process that is gone reads NaN, not 0', () => {
    expect(rssMiB(2 ** 30)).toBeNaN();
    expect(rssHighWaterMiB(2 ** 30)).toBeNaN();
  });
});
