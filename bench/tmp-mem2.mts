import v8 from 'node:v8';
import { benchHubMemory } from './hub-memory.ts';
let done = false;
const r = await benchHubMemory({ durationMs: 60_000, ratePerSecond: 5000, onProgress: (m) => {
  const h = process.memoryUsage().heapUsed / 2 ** 20;
  if (h > 120 && !done) {
    done = true;
    const sp = v8.getHeapSpaceStatistics().map((s) => `${s.space_name}=${Math.round(s.space_used_size / 2 ** 20)}`).join(' ');
    console.error('SPACES', sp, m);
    console.error('snapshot', v8.writeHeapSnapshot('/tmp/hub-heap.heapsnapshot'));
  }
} });
console.log(JSON.stringify(r));
