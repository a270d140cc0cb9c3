// Child process for test/edge/v8-heap.test.ts: real V8, flags set at run time as the edge sets them.
//   young: hold as bin/safestar.js does, churn, then YoungGenerationCap, churn → new-space sizes (JSON)
//   old [bound]: churn over a ~40 MiB live set → the old space's peak committed size (JSON)
import v8 from 'node:v8';
import { boundOldGeneration, newSpaceBytes, YoungGenerationCap } from '../../edge/v8-heap.ts';

const [mode, arg] = process.argv.slice(2);

/** Allocate for `ms`, keeping one object in `keepEvery` alive until the kept list passes `max`. */
async function churn(ms: number, keepEvery: number, max: number, keep: object[] = []): Promise<object[]> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (let i = 0; i < 20_000; i++) {
      const o = { a: i, b: [i, i + 1], c: `k${i}` };
      if (i % keepEvery === 0) keep.push(o);
    }
    if (keep.length > max) keep.splice(0, keep.length >> 1);
    await new Promise((r) => setImmediate(r)); // let the GC observer run, as the event loop does
  }
  return keep;
}

if (mode === 'young') {
  const atHold = newSpaceBytes(); // tsx's loading has run by now (the bin holds before it)
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  await churn(1500, 3, 200_000);
  const held = newSpaceBytes();
  const cap = new YoungGenerationCap();
  cap.start([], undefined);
  await churn(3000, 3, 200_000);
  const capped = newSpaceBytes();
  cap.stop();
  process.stdout.write(`${JSON.stringify({ atHold, held, capped })}\n`);
} else if (mode === 'old') {
  if (arg === 'bound') boundOldGeneration([], undefined);
  let peak = 0;
  const keep: object[] = [];
  const end = Date.now() + 4000;
  while (Date.now() < end) {
    await churn(50, 1, 600_000, keep);
    peak = Math.max(peak, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_size);
  }
  process.stdout.write(`${JSON.stringify({ peak })}\n`);
}
