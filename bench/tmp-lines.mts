import { readFileSync } from 'node:fs';
import { startInfluxd } from '../common/influxd.ts';
import { rawInfluxWrite } from './baselines/influx-raw.ts';
import { eventLine } from '../hub/store/line.ts';
import { FieldTypes } from '../hub/store/fields.ts';
const cpu = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8'); const r = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(r[11]) + Number(r[12])) * 10_000; };
const i = await startInfluxd();
const pid = i.process.pid!;
const settle = async () => { for (let k = 0; k < 40; k++) { const a = cpu(pid); await new Promise(r => setTimeout(r, 500)); if (cpu(pid) - a < 25_000) return; } };
const N = 100_000;
const BASE = Date.UTC(2026, 10, 29);
const mk = (variant: string) => {
  const ft = new FieldTypes();
  const lines: string[] = [];
  for (let n = 0; n < N; n++) {
    const c = n % 2285;
    const e = { v: 1, id: `bench-edge-${n % 4}.${n.toString(36)}.${n}`, deviceTime: BASE + n, receivedAt: BASE + n + 3, district: `d${c % 6}`, compound: `c${c}`, edge: `bench-edge-${n % 4}`, device: `c${c}-acc-${n % 8}`, kind: 'access', type: 'granted', severity: 'info', attributes: { method: 'card', door: 1 } } as any;
    let l = eventLine(e, n + 1, ft);
    if (variant === 'nobf') l = l.replace(',backfilled=false', '');
    lines.push(l);
  }
  return lines;
};
async function post(db: string, lines: string[], conc: number) {
  await fetch(`${i.url}/query?q=CREATE DATABASE ${db}`, { method: 'POST' });
  await settle();
  const c0 = cpu(pid); const t0 = performance.now();
  let next = 0;
  const worker = async () => { while (next < lines.length) { const s = next; next += 5000; const r = await fetch(`${i.url}/write?db=${db}&precision=n`, { method: 'POST', body: lines.slice(s, s + 5000).join('\n') }); await r.arrayBuffer(); if (r.status !== 204) throw new Error(String(r.status)); } };
  await Promise.all(Array.from({ length: conc }, worker));
  const s = (performance.now() - t0) / 1000;
  console.log(db, 'pts/s', Math.round(lines.length / s), 'influxd µs/pt', ((cpu(pid) - c0) / lines.length).toFixed(1));
}
for (let rep = 0; rep < 2; rep++) {
  await settle();
  const c0 = cpu(pid);
  const r = await rawInfluxWrite(i.url, `raw${rep}`, N, 5000);
  console.log('raw client pts/s', Math.round(r), 'influxd µs/pt', ((cpu(pid) - c0) / N).toFixed(1));
  await post(`hub1_${rep}`, mk('full'), 1);
  await post(`hub2_${rep}`, mk('full'), 2);
  await post(`nobf_${rep}`, mk('nobf'), 1);
}
await i.stop();
