import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { youngGenerationSized } from '../../bin/edge-env.js';
import { growthFactor, oldGenerationSetByOperator, YOUNG_GENERATION_BYTES, youngGenerationSetByOperator } from '../../edge/v8-heap.ts';

/**
 * Issue 14, memory: the edge shapes V8's heap with flags set at run time (edge/v8-heap.ts). The
 * child process runs real V8 with them, so a Node whose V8 stops reading them at run time fails
 * here instead of quietly costing memory.
 */
const CHILD = join(import.meta.dirname, 'v8-heap-child.ts');
const MiB = 2 ** 20;

function child(...args: string[]): Record<string, number> {
  return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', CHILD, ...args], { encoding: 'utf8' })) as Record<string, number>;
}

describe('growthFactor', () => {
  it('lands on the target in one growth, then holds', () => {
    expect(growthFactor(2 * MiB, 8 * MiB)).toBe(4);
    expect(growthFactor(4 * MiB, 8 * MiB)).toBe(2);
    expect(growthFactor(3 * MiB, 8 * MiB)).toBe(2); // 6 MiB: under the cap, then held
    expect(growthFactor(8 * MiB, 8 * MiB)).toBe(1);
    expect(growthFactor(32 * MiB, 8 * MiB)).toBe(1);
    expect(growthFactor(0, 8 * MiB)).toBe(1);
  });
});

describe("the operator's node flags win", () => {
  it('in argv or NODE_OPTIONS, either spelling, in the bin and in the edge alike', () => {
    for (const [argv, opts, young] of [
      [['--max-semi-space-size=16'], undefined, true],
      [[], '--max_semi_space_size=16 --expose-gc', true],
      [['--semi-space-growth-factor=2'], undefined, true],
      [['--expose-gc', '--heap-growing-percent=50'], '', false],
      [[], undefined, false],
    ] as const) {
      expect(youngGenerationSetByOperator(argv, opts)).toBe(young);
      expect(youngGenerationSized(argv, opts)).toBe(young);
    }
    expect(oldGenerationSetByOperator(['--heap-growing-percent=50'], undefined)).toBe(true);
    expect(oldGenerationSetByOperator([], '--heap_growing_percent=50')).toBe(true);
    expect(oldGenerationSetByOperator([], '--max-semi-space-size=4')).toBe(false);
  });
});

describe('on real V8', () => {
  it('the new space stays at its start while held, then grows to the cap and no further', () => {
    const { atHold, held, capped } = child('young');
    expect(held).toBe(atHold);
    expect(atHold).toBeLessThan(YOUNG_GENERATION_BYTES); // else this test shows nothing
    expect(capped).toBeGreaterThan(held!);
    expect(capped).toBeLessThanOrEqual(YOUNG_GENERATION_BYTES);
  }, 30_000);

  it('the old space grows less past the live set with the bound than without', () => {
    const free = child('old');
    const bound = child('old', 'bound');
    expect(bound.peak).toBeLessThan(free.peak! * 0.8);
  }, 30_000);
});
