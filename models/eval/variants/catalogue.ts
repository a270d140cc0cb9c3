import { INCIDENTS } from '../../../simulators/scenarios/incidents.ts';
import type { ScenarioContext } from '../../../simulators/scenarios/context.ts';
import type { ScenarioName } from '../../../simulators/scenarios/types.ts';
import { resident, residentCount, plateFor, strangerCard } from '../../../simulators/devices/people.ts';
import type { CityDevice } from '../../../protocol/city.ts';
import { BLIND_VARIANTS } from './blind.ts';
import { emitIf } from './emit.ts';

/**
 * The evaluation's incident catalogue: the simulators' own scenarios plus variants that change
 * one parameter each (speed, hour, distance, device kind, size), and NOVEL types that exist
 * nowhere else in the project — written by someone who does not develop the detector
 * (./blind.ts, not to be read by its developer), so no feature, rule or threshold was designed
 * with them in view and they show how the detector does on something nobody anticipated. A novel
 * type that is diagnosed during development stops being novel (credential-scan, perimeter-probe).
 *
 * `family` groups variants for the targets: every burglary variant ≥ 95 %, every behavioural type
 * ≥ 60 %. `kind` says which part of the detector is meant to carry it: `critical` (a vendor
 * raises a critical/major alarm that is rare in normal traffic), `behaviour` (nothing alarming in
 * any single event; the pattern is the anomaly).
 */
export type Family =
  | 'burglary' | 'tailgating' | 'card-cloning' | 'blacklisted-plate' | 'loitering' | 'door-held-open'
  | 'offline-storm' | 'tamper' | 'flapping-device' | 'credential-scan' | 'perimeter-probe'
  | 'blind-1' | 'blind-2';

export interface Variant {
  name: string;
  family: Family;
  kind: 'critical' | 'behaviour';
  /** Novel: appears in no simulator scenario and was never used while the detector was developed. */
  novel: boolean;
  /** Local start hour range [from, to). */
  hours: readonly [number, number];
  /** What changes against the simulators' scenario, for the report. */
  varies: string;
  build: (c: ScenarioContext) => string;
}

const S = 1000;
const MIN = 60 * S;
const NIGHT = [0.2, 5] as const;
const DAY = [8, 18] as const;
const ANY = [0.5, 22] as const;

const sim = (name: ScenarioName) => (c: ScenarioContext): string => INCIDENTS[name](c);

/** Burglary, parameterised: pace (minutes between steps), with or without the fence cut. */
function burglary(opts: { fenceCut: boolean; stepMin: readonly [number, number]; door: boolean }) {
  return (c: ScenarioContext): string => {
    let t = c.at;
    const parts: string[] = [];
    if (opts.fenceCut) {
      const fence = c.device('fence', 'wire-cut');
      c.emit(fence, t, 'wire-cut', { zone: fence.zone ?? 1, voltageKv: 0.3 });
      c.emit(fence, t + c.rng.uniform(3, 10) * S, 'fence-alarm', { zone: fence.zone ?? 1 });
      parts.push(`fence ${fence.id} cut`);
      t += c.rng.uniform(opts.stepMin[0], opts.stepMin[1]) * MIN;
    }
    const cam = c.device('camera', 'intrusion-enter');
    c.emit(cam, t, 'intrusion-enter', { region: 1 });
    parts.push(`intrusion on ${cam.id}`);
    if (opts.door) {
      const door = c.device('access', 'door-forced');
      t += c.rng.uniform(opts.stepMin[0], opts.stepMin[1]) * MIN;
      c.emit(door, t, 'door-forced', { door: door.zone ?? 1 });
      if (door.profile === 'dahua-access') c.marker(door, t + 20 * S, 'door-forced');
      parts.push(`door ${door.id} forced`);
    }
    c.emit(cam, t + c.rng.uniform(10, 25) * MIN, 'intrusion-leave', { region: 1 });
    return parts.join(', ');
  };
}

function tailgating(nMin: number, nMax: number) {
  return (c: ScenarioContext): string => {
    const door = c.device('access', 'tailgating');
    const type = door.profile === 'hik-access' ? 'tailgating' : 'anti-passback';
    const who = resident(c.compound, c.rng.int(0, residentCount(c.compound) - 1));
    const n = c.rng.int(nMin, nMax);
    let t = c.at;
    for (let i = 0; i < n; i++) {
      c.emit(door, t, 'granted', { method: 'card', card: who.card, person: who.person, employee: who.employee, door: door.zone ?? 1, direction: 'in' });
      c.emit(door, t + c.rng.uniform(1, 4) * S, type, type === 'tailgating' ? { door: door.zone ?? 1 } : { card: who.card, door: door.zone ?? 1, direction: 'in' });
      t += c.rng.uniform(30, 90) * S;
    }
    return `${n} ${type} on ${door.id}`;
  };
}

/** One card at two doors: same or another compound, `gapMin` minutes apart. */
function cloning(opts: { sameCompound: boolean; gapMin: readonly [number, number] }) {
  return (c: ScenarioContext): string => {
    const who = resident(c.compound, c.rng.int(0, residentCount(c.compound) - 1));
    const a = c.device('access', 'granted');
    const far = opts.sameCompound || c.others.length === 0 ? c.compound : c.rng.pick(c.others);
    const cands = c.devicesOf('access', 'granted', far).filter((d) => d.id !== a.id);
    const b = cands.length > 0 ? c.rng.pick(cands) : a;
    const attrs = { method: 'card', card: who.card, person: who.person, employee: who.employee, direction: 'in' };
    c.emit(a, c.at, 'granted', { ...attrs, door: a.zone ?? 1 });
    c.emit(b, c.at + c.rng.uniform(opts.gapMin[0], opts.gapMin[1]) * MIN, 'granted', { ...attrs, door: b.zone ?? 1 });
    return `card of resident ${who.index} at ${a.id} and ${b.id}`;
  };
}

function loiteringN(nMin: number, nMax: number) {
  return (c: ScenarioContext): string => {
    const cam = c.device('camera', 'loitering');
    const n = c.rng.int(nMin, nMax);
    let t = c.at;
    for (let i = 0; i < n; i++) {
      c.emit(cam, t, 'motion', { region: 2 });
      c.emit(cam, t + 20 * S, 'loitering', { region: 2 });
      t += c.rng.uniform(3, 6) * MIN;
    }
    return `${n} loitering on ${cam.id}`;
  };
}

function doorHeld(minS: number, maxS: number) {
  return (c: ScenarioContext): string => {
    const door = c.device('access', 'door-held');
    const durationS = c.rng.int(minS, maxS);
    c.emit(door, c.at + 60 * S, 'door-held', { door: door.zone ?? 1, durationS });
    c.emit(door, c.at + durationS * S, 'door-closed', { door: door.zone ?? 1 });
    return `${door.id} held open ${durationS} s`;
  };
}

/** Tamper on a device of another kind than the camera: a fence energiser's lid, a reader's case. */
function tamperOn(kind: 'fence' | 'access') {
  return (c: ScenarioContext): string => {
    const d = c.device(kind, 'tamper');
    emitIf(c, d, c.at, 'tamper', kind === 'fence' ? { zone: d.zone ?? 1 } : { door: d.zone ?? 1 });
    // The case is opened: the device drops off the network for a minute or two.
    const off = c.at + c.rng.uniform(20, 90) * S;
    c.outage(d, off, off + c.rng.uniform(60, 120) * S);
    return `${d.id} tampered, then offline`;
  };
}

function storm(lo: number, hi: number) {
  return (c: ScenarioContext): string => {
    const all = [...c.compound.devices].sort((x, y) => (x.id < y.id ? -1 : 1));
    const n = Math.max(2, Math.round(all.length * c.rng.uniform(lo, hi)));
    const victims: CityDevice[] = [];
    const pool = [...all];
    while (victims.length < n && pool.length > 0) victims.push(pool.splice(c.rng.int(0, pool.length - 1), 1)[0]!);
    const back = c.at + c.rng.uniform(4, 12) * MIN;
    for (const d of victims) c.outage(d, c.at + c.rng.uniform(0, 20) * S, back + c.rng.uniform(0, 60) * S);
    return `${victims.length} of ${all.length} devices offline`;
  };
}

function flapping(kind: 'access' | 'camera' | 'barrier', nMin: number, nMax: number, gapS: readonly [number, number]) {
  return (c: ScenarioContext): string => {
    const d = c.device(kind);
    const n = c.rng.int(nMin, nMax);
    let t = c.at;
    for (let i = 0; i < n; i++) {
      const up = t + c.rng.uniform(10, 40) * S;
      c.outage(d, t, up);
      t = up + c.rng.uniform(gapS[0], gapS[1]) * S;
    }
    return `${d.id} dropped ${n} times`;
  };
}

/** Was novel (until 2026-12-05): someone tries stranger cards at several doors, a few each, so no reader sees 5 in a row. */
function credentialScan(c: ScenarioContext): string {
  const doors = c.devicesOf('access');
  const n = Math.min(doors.length, c.rng.int(2, 4));
  const pool = [...doors];
  const picked: CityDevice[] = [];
  while (picked.length < Math.max(1, n) && pool.length > 0) picked.push(pool.splice(c.rng.int(0, pool.length - 1), 1)[0]!);
  let t = c.at;
  let total = 0;
  for (const d of picked) {
    const tries = c.rng.int(2, 4);
    for (let i = 0; i < tries; i++) {
      emitIf(c, d, t, 'denied', { method: 'card', card: strangerCard(c.rng), reason: 'unknown-card', door: d.zone ?? 1, direction: 'in' });
      t += c.rng.uniform(5, 25) * S;
      total++;
    }
    t += c.rng.uniform(1, 3) * MIN;
  }
  return `${total} stranger cards at ${picked.length} doors`;
}

/** Was novel (until 2026-12-05): fence touched along several zones and a line crossed, no cut (someone testing the perimeter). */
function perimeterProbe(c: ScenarioContext): string {
  const fences = c.devicesOf('fence');
  const zones = Math.min(fences.length, c.rng.int(2, 3));
  let t = c.at;
  for (let i = 0; i < Math.max(1, zones); i++) {
    const f = fences[i % fences.length]!;
    emitIf(c, f, t, 'fence-alarm', { zone: f.zone ?? 1, voltageKv: Math.round(c.rng.uniform(3, 6) * 10) / 10 });
    t += c.rng.uniform(1, 4) * MIN;
  }
  const cam = c.device('camera', 'line-crossing');
  emitIf(c, cam, t, 'line-crossing', { region: 1 });
  emitIf(c, cam, t + c.rng.uniform(20, 60) * S, 'line-crossing', { region: 1 });
  // an unknown car waits at a barrier meanwhile
  const lane = c.device('barrier', 'unknown-vehicle');
  emitIf(c, lane, t + c.rng.uniform(1, 3) * MIN, 'unknown-vehicle', { plate: plateFor(c.rng, 'blue', false), plateColor: 'blue', confidence: 0.9, direction: 'in', lane: lane.zone ?? 1 });
  return `${zones} fence zones touched, line crossed on ${cam.id}, unknown car at ${lane.id}`;
}

export const VARIANTS: readonly Variant[] = [
  { name: 'burglary-night', family: 'burglary', kind: 'critical', novel: false, hours: NIGHT, varies: 'simulators\' scenario', build: sim('burglary-night') },
  { name: 'burglary-slow', family: 'burglary', kind: 'critical', novel: false, hours: NIGHT, varies: 'speed: 10–30 min between steps', build: burglary({ fenceCut: true, stepMin: [10, 30], door: true }) },
  { name: 'burglary-day-no-cut', family: 'burglary', kind: 'critical', novel: false, hours: DAY, varies: 'hour: daytime; no fence cut', build: burglary({ fenceCut: false, stepMin: [2, 8], door: true }) },
  { name: 'burglary-fence-only', family: 'burglary', kind: 'critical', novel: false, hours: NIGHT, varies: 'fence cut and intrusion, no door', build: burglary({ fenceCut: true, stepMin: [1, 5], door: false }) },
  { name: 'blacklisted-plate', family: 'blacklisted-plate', kind: 'critical', novel: false, hours: ANY, varies: 'simulators\' scenario', build: sim('blacklisted-plate') },
  { name: 'tailgating-burst', family: 'tailgating', kind: 'behaviour', novel: false, hours: ANY, varies: 'simulators\' scenario (6–12)', build: sim('tailgating-burst') },
  { name: 'tailgating-small', family: 'tailgating', kind: 'behaviour', novel: false, hours: ANY, varies: 'size: 3–4 people', build: tailgating(3, 4) },
  { name: 'card-cloning', family: 'card-cloning', kind: 'behaviour', novel: false, hours: ANY, varies: 'simulators\' scenario', build: sim('card-cloning') },
  { name: 'card-cloning-same-compound', family: 'card-cloning', kind: 'behaviour', novel: false, hours: ANY, varies: 'distance: two doors of one compound, 1–4 min', build: cloning({ sameCompound: true, gapMin: [1, 4] }) },
  { name: 'card-cloning-slow', family: 'card-cloning', kind: 'behaviour', novel: false, hours: ANY, varies: 'speed: other compound 15–40 min later', build: cloning({ sameCompound: false, gapMin: [15, 40] }) },
  { name: 'loitering', family: 'loitering', kind: 'behaviour', novel: false, hours: NIGHT, varies: 'simulators\' scenario', build: sim('loitering') },
  { name: 'loitering-day', family: 'loitering', kind: 'behaviour', novel: false, hours: DAY, varies: 'hour: daytime', build: loiteringN(3, 5) },
  { name: 'loitering-single', family: 'loitering', kind: 'behaviour', novel: false, hours: NIGHT, varies: 'size: one alarm', build: loiteringN(1, 1) },
  { name: 'door-held-open', family: 'door-held-open', kind: 'behaviour', novel: false, hours: ANY, varies: 'simulators\' scenario (10–30 min)', build: sim('door-held-open') },
  { name: 'door-held-short', family: 'door-held-open', kind: 'behaviour', novel: false, hours: ANY, varies: 'duration: 6–10 min', build: doorHeld(360, 600) },
  { name: 'offline-storm', family: 'offline-storm', kind: 'behaviour', novel: false, hours: ANY, varies: 'simulators\' scenario', build: sim('offline-storm') },
  { name: 'offline-storm-small', family: 'offline-storm', kind: 'behaviour', novel: false, hours: ANY, varies: 'size: 20–35 % of devices', build: storm(0.2, 0.35) },
  { name: 'tamper', family: 'tamper', kind: 'behaviour', novel: false, hours: ANY, varies: 'simulators\' scenario (camera)', build: sim('tamper') },
  { name: 'tamper-fence', family: 'tamper', kind: 'behaviour', novel: false, hours: ANY, varies: 'device kind: fence', build: tamperOn('fence') },
  { name: 'tamper-door', family: 'tamper', kind: 'behaviour', novel: false, hours: ANY, varies: 'device kind: door reader', build: tamperOn('access') },
  { name: 'flapping-device', family: 'flapping-device', kind: 'behaviour', novel: false, hours: ANY, varies: 'simulators\' scenario', build: sim('flapping-device') },
  { name: 'flapping-slow', family: 'flapping-device', kind: 'behaviour', novel: false, hours: ANY, varies: 'speed: 3–5 drops, 3–6 min apart, camera', build: flapping('camera', 3, 5, [180, 360]) },
  // Novel until 2026-12-05, when their missed incidents were read to choose kt-2.7.0: development types since.
  { name: 'credential-scan', family: 'credential-scan', kind: 'behaviour', novel: false, hours: ANY, varies: '2–4 stranger cards at each of 2–4 doors (novel until 2026-12-05)', build: credentialScan },
  { name: 'perimeter-probe', family: 'perimeter-probe', kind: 'behaviour', novel: false, hours: NIGHT, varies: 'fence touched on 2–3 zones, line crossed, unknown car (novel until 2026-12-05)', build: perimeterProbe },
  // The novel types: written by someone who does not develop the detector, from event types of
  // normal traffic only, and not read by the detector's developer (blind.ts says so).
  ...BLIND_VARIANTS,
];

export const VARIANT_BY_NAME: ReadonlyMap<string, Variant> = new Map(VARIANTS.map((v) => [v.name, v]));
