import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { registerIndex } from '../../cli/index.ts';
import { checkCase } from '../../hub/cases/validate.ts';
import { checkScope } from '../../hub/cases/scope.ts';
import { defaultPolicy } from '../../hub/index/policy.ts';

async function run(args: string[]): Promise<string> {
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    const program = new Command('safestar').exitOverride();
    registerIndex(program);
    await program.parseAsync(['node', 'safestar', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out.join('');
}

describe('safestar index', () => {
  it('calibrate prints districts, the bottom 10 and ends with one JSON line', async () => {
    const text = await run(['index', 'calibrate', '--compounds', '600', '--seed', '4']);
    const lines = text.trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1] as string) as { fiveStarShare: number; districts: Record<string, number> };
    expect(last.fiveStarShare).toBeGreaterThan(0.2);
    expect(last.fiveStarShare).toBeLessThan(0.45);
    expect(Object.keys(last.districts).sort()).toEqual(['haicang', 'huli', 'jimei', 'siming', 'tongan', 'xiangan']);
    expect(text).toMatch(/bottom 10 \(largest driver fraud or dispute/);
  });

  it('calibrate --months replays monthly reviews and ends with the published shares month by month', async () => {
    const text = await run(['index', 'calibrate', '--compounds', '300', '--seed', '5', '--months', '3']);
    const last = JSON.parse(text.trim().split('\n').pop() as string) as { fiveStarShare: number; published: { month: string; fiveStarShare: number; minDistrict: number }[] };
    expect(last.published.map((m) => m.month)).toEqual(['2026-01', '2026-02', '2026-03']);
    for (const m of last.published) {
      expect(m.fiveStarShare).toBeGreaterThan(0.1);
      expect(m.minDistrict).toBeLessThanOrEqual(m.fiveStarShare);
    }
    expect(last.fiveStarShare).toBe(last.published[2]?.fiveStarShare);
  });

  it('cases prints NDJSON bodies the cases API accepts', async () => {
    const at = '2026-05-28T00:00:00+08:00';
    const text = await run(['index', 'cases', '--compounds', '20', '--seed', '2', '--at', at]);
    const bodies = text.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(bodies.length).toBeGreaterThan(10);
    for (const b of bodies) expect(checkCase(defaultPolicy(), b, () => true, Date.parse(at)).ok).toBe(true);
    // …and each department posts only what is its own (veto and downgrade categories: police, court).
    for (const b of bodies as { department: string; category: string }[]) expect(checkScope(defaultPolicy(), b.department, b.category).ok).toBe(true);
  });
});
