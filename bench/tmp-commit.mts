const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
import { IngestDb } from '../hub/store/ingestDb.ts';
import { parseBatch } from '../hub/ingest/parse.ts';
import { eventLine } from '../hub/store/line.ts';
import { FieldTypes } from '../hub/store/fields.ts';
import { rmSync, mkdtempSync } from 'node:fs';
const BASE = Date.UTC(2026, 10, 29);
const N = 100_000;
const payloads: string[] = [];
for (let b = 0; b < N; b += 1000) {
  const events = [];
  for (let n = b; n < b + 1000; n++) { const c = n % 2285; events.push({ v: 1, id: `bench-edge-0.${n.toString(36)}.${n}`, deviceTime: BASE + n, receivedAt: BASE + n + 3, district: `d${c % 6}`, compound: `c${c}`, edge: `bench-edge-0`, device: `c${c}-acc-${n % 8}`, kind: 'access', type: 'granted', severity: 'info', attributes: { method: 'card', door: 1 } }); }
  payloads.push(JSON.stringify({ v: 1, edge: 'bench-edge-0', events }));
}
for (let rep = 0; rep < 2; rep++) {
  let t = cpuNow();
  const parsed = payloads.map((p) => parseBatch(p, 'bench-edge-0'));
  console.log('parse+validate µs/ev', ((cpuNow() - t) * 1000 / N).toFixed(2));
  t = cpuNow();
  const ft = new FieldTypes(); let len = 0;
  for (const p of parsed) for (let k = 0; k < p.events.length; k++) len += eventLine(p.events[k]!, k, ft).length;
  console.log('line µs/ev', ((cpuNow() - t) * 1000 / N).toFixed(2));
  const dir = mkdtempSync('/tmp/cm-');
  const db = new IngestDb(`${dir}/i.db`);
  t = cpuNow();
  for (let i = 0; i < parsed.length; i += 4) db.commit(parsed.slice(i, i + 4).map((p) => ({ events: p.events, deadLetters: [] })));
  console.log('commit µs/ev', ((cpuNow() - t) * 1000 / N).toFixed(2));
  t = cpuNow();
  let s; while ((s = db.peek(0, 5000))) db.ack(s);
  console.log('peek+ack µs/ev', ((cpuNow() - t) * 1000 / N).toFixed(2));
  db.close(); rmSync(dir, { recursive: true });
}
