/**
 * Issue 15 diagnosis: how often does normal traffic show "intrusion-enter on camera X, then a
 * forced door in X's compound, then intrusion-leave on X with X's entry still open"? Counted on
 * the training + validation cities (KT_RECIPE, after each warm-up day) only, never on
 * evaluation seeds. Run: node --import tsx scripts/burglary-pattern-rates.ts
 */
import { KT_RECIPE } from '../models/kt.ts';
import { startMsOf, trafficEvents, type TrafficSpec } from '../models/sources.ts';

const MIN = 60_000;
const DAY = 86_400_000;
interface Grid { name: string; enterToDoorMin: number; doorToLeaveMin: number; region: boolean }
const grid: Grid[] = [];
for (const region of [false, true]) for (const a of [5, 10, 15]) for (const b of [15, 30, 45]) grid.push({ name: `${region ? 'region' : 'camera'} enter→door ≤${a} door→leave ≤${b}`, enterToDoorMin: a, doorToLeaveMin: b, region });

interface Ev { t: number; device: string; type: string; region: string }
const counts = new Map<string, number>();
const alertsRefr = new Map<string, number>();
let compoundDays = 0;
let forced = 0;
const specs: TrafficSpec[] = [...KT_RECIPE.train, ...(KT_RECIPE.validation ?? [])];
for (const spec of specs) {
  const from = startMsOf(spec) + KT_RECIPE.warmupDays * DAY;
  compoundDays += spec.compounds * (spec.days - KT_RECIPE.warmupDays);
  const byCompound = new Map<string, Ev[]>();
  for (const e of trafficEvents(spec)) {
    if (e.type !== 'intrusion-enter' && e.type !== 'intrusion-leave' && e.type !== 'door-forced') continue;
    // GB/T 28181 alarms carry no region (only Hik's regionEntrance/Exiting/fielddetection do).
    const region = e.profile === 'hik-camera-alert' && e.attributes['region'] !== undefined ? String(e.attributes['region']) : '';
    let l = byCompound.get(e.compound);
    if (!l) byCompound.set(e.compound, (l = []));
    l.push({ t: e.deviceTime, device: e.device, type: e.type, region });
  }
  for (const evs of byCompound.values()) {
    evs.sort((a, b) => a.t - b.t);
    forced += evs.filter((e) => e.type === 'door-forced' && e.t >= from).length;
    for (const g of grid) {
      const open = new Map<string, number[]>(); // camera(/region) → open enter times
      const doors: number[] = [];
      let last = -Infinity;
      for (const e of evs) {
        const key = g.region ? `${e.device}/${e.region}` : e.device;
        if (e.type === 'door-forced') { doors.push(e.t); continue; }
        if (e.type === 'intrusion-enter') { const o = open.get(key) ?? []; o.push(e.t); open.set(key, o); continue; }
        const o = open.get(key) ?? [];
        open.delete(key);
        const hit = o.some((t0) => doors.some((t1) => t1 > t0 && t1 - t0 <= g.enterToDoorMin * MIN && e.t - t1 <= g.doorToLeaveMin * MIN));
        if (hit && e.t >= from) {
          counts.set(g.name, (counts.get(g.name) ?? 0) + 1);
          if (e.t - last > 10 * MIN) { alertsRefr.set(g.name, (alertsRefr.get(g.name) ?? 0) + 1); last = e.t; }
        }
      }
    }
  }
  console.error(`city ${spec.citySeed} done`);
}
console.log(`compound-days ${compoundDays}, forced doors ${forced} (${(forced / compoundDays).toFixed(3)}/compound-day)`);
for (const g of grid) {
  const n = counts.get(g.name) ?? 0;
  console.log(`${g.name}: ${n} (${(n / compoundDays).toFixed(4)}/compound-day), alerts ${(alertsRefr.get(g.name) ?? 0)}`);
}
