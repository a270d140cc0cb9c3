// Scorer engine A/B (issue 14): `node --import tsx bench/scorer-ab.ts` scores the same synthetic
// fence events in group-commit-sized batches with the TypeScript reference of the tail graph and
// with onnxruntime, alternating, and prints features + scoring CPU µs per event (process.cpuUsage).
import { createOnnxScorer } from '../edge/scoring/onnx-scorer.ts';
import { DEFAULT_MODEL } from '../edge/scoring/load.ts';
import type { Event } from '../protocol/event.ts';

const T0 = 1_764_404_102_000;
const TYPES = ['arm', 'disarm', 'fence-alarm', 'power-loss'] as const;
let seq = 0;
const batch = (n: number, t: number): Event[] => Array.from({ length: n }, (_, i) => ({
  v: 1, id: `e-${seq++}`, deviceTime: t + i, receivedAt: t + i, district: 'd1', compound: `c${i % 7}`, edge: 'e', device: `f${i % 100}`,
  kind: 'fence', type: TYPES[i % 4]!, severity: 'major', attributes: { zone: i % 5 },
}));
const out: Record<string, Record<string, number[]>> = {};
for (const size of [100, 400, 2000]) {
  const res: Record<string, number[]> = { reference: [], onnxruntime: [] };
  for (let round = 0; round < 3; round++) {
    for (const [name, below] of [['reference', 4096], ['onnxruntime', 0]] as const) {
      const s = await createOnnxScorer({ modelPath: DEFAULT_MODEL, watchIntervalMs: false, referenceBelowRows: below });
      let t = T0;
      for (let i = 0; i < 20; i++, t += 1000) await s.scoreBatch(batch(size, t)); // warm windows and JIT
      const c0 = process.cpuUsage();
      let n = 0;
      for (let i = 0; i < Math.ceil(40_000 / size); i++, t += 1000) {
        const b = batch(size, t);
        await s.scoreBatch(b);
        n += size;
      }
      const c = process.cpuUsage(c0);
      res[name]!.push(Math.round(((c.user + c.system) / n) * 100) / 100);
      await s.close();
    }
  }
  out[size] = res;
  process.stdout.write(`batch ${size}: features + scoring µs/event, TypeScript reference ${res['reference']!.join(' / ')}; onnxruntime ${res['onnxruntime']!.join(' / ')}\n`);
}
process.stdout.write(`${JSON.stringify(out)}\n`);
