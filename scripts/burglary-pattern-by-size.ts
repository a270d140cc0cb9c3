/**
 * Issue 15 diagnosis: the ungated triple "intrusion-enter on camera X → forced door in X's
 * compound ≤ 10 min later → intrusion-leave on X ≤ 30 min after the door" per compound, by
 * compound size, with the rate independent entries, leaves and forced doors would give by chance
 * (mu). Training + validation cities only (KT_RECIPE, after each warm-up day), never evaluation
 * seeds. Run: node --import tsx scripts/burglary-pattern-by-size.ts
 */
import { KT_RECIPE } from '../models/kt.ts';
import { cityFor, startMsOf, trafficEvents } from '../models/sources.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const A = 10;
const B = 30;
interface Row { cams: number; forced: number; enters: number; pat: number; mu: number }
const rows: Row[] = [];
for (const spec of [...KT_RECIPE.train, ...(KT_RECIPE.validation ?? [])]) {
  const city = cityFor(spec);
  const from = startMsOf(spec) + KT_RECIPE.warmupDays * DAY;
  const days = spec.days - KT_RECIPE.warmupDays;
  const by = new Map<string, { t: number; d: string; type: string }[]>();
  for (const e of trafficEvents(spec)) {
    if (e.type !== 'intrusion-enter' && e.type !== 'intrusion-leave' && e.type !== 'door-forced') continue;
    let l = by.get(e.compound);
    if (!l) by.set(e.compound, (l = []));
    l.push({ t: e.deviceTime, d: e.device, type: e.type });
  }
  for (const c of city.compounds) {
    const evs = (by.get(c.id) ?? []).sort((a, b) => a.t - b.t);
    const cams = c.devices.filter((d) => d.kind === 'camera').length;
    const open = new Map<string, number[]>();
    const doors: number[] = [];
    let pat = 0;
    for (const e of evs) {
      if (e.type === 'door-forced') { doors.push(e.t); continue; }
      if (e.type === 'intrusion-enter') { const o = open.get(e.d) ?? []; o.push(e.t); open.set(e.d, o); continue; }
      const o = open.get(e.d) ?? [];
      open.delete(e.d);
      if (e.t >= from && o.some((t0) => doors.some((t1) => t1 > t0 && t1 - t0 <= A * MIN && e.t - t1 <= B * MIN))) pat++;
    }
    const kept = evs.filter((e) => e.t >= from);
    const forced = kept.filter((e) => e.type === 'door-forced').length / days;
    const enters = kept.filter((e) => e.type === 'intrusion-enter').length / days;
    const lam = enters / Math.max(1, cams) / 1440; // per camera per minute (leaves alike)
    rows.push({ cams, forced, enters, pat: pat / days, mu: forced * cams * lam * A * lam * B });
  }
}
rows.sort((a, b) => a.cams - b.cams);
const n = rows.length;
const tot = rows.reduce((a, r) => a + r.pat, 0);
console.log(`${n} compounds; triple ${(tot / n).toFixed(3)} per compound-day, chance rate mu ${(rows.reduce((a, r) => a + r.mu, 0) / n).toFixed(3)}`);
let cum = 0;
for (let i = 0; i < n; i++) {
  cum += rows[i]!.pat;
  if ((i + 1) % Math.ceil(n / 10) === 0 || i === n - 1) console.log(`smallest ${i + 1} (cameras ≤ ${rows[i]!.cams}): ${((cum / tot) * 100).toFixed(0)} % of the triples, ${(cum / (i + 1)).toFixed(3)} per compound-day`);
}
const big = rows.slice(Math.floor(n * 0.85));
console.log(`largest ${big.length} (cameras ≥ ${big[0]!.cams}, forced doors ${Math.min(...big.map((r) => r.forced)).toFixed(2)}–${Math.max(...big.map((r) => r.forced)).toFixed(2)} a day): ${((big.reduce((a, r) => a + r.pat, 0) / tot) * 100).toFixed(0)} % of the triples, ${(big.reduce((a, r) => a + r.pat, 0) / big.length).toFixed(2)} per compound-day`);
