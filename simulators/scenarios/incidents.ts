import { resident, residentCount, plateFor } from '../devices/people.ts';
import type { ScenarioContext } from './context.ts';
import type { ScenarioName } from './types.ts';

/**
 * The incidents of issue 3, each a short script of device messages on one compound.
 * Times are offsets from `c.at` in ms; every message carries the incident's truth id.
 */
const S = 1000;
const MIN = 60 * S;

/** Fence cut → camera intrusion → forced door → intruder leaves (DOMAIN.md "burglary night"). */
function burglaryNight(c: ScenarioContext): string {
  const fence = c.device('fence', 'wire-cut');
  const zone = fence.zone ?? 1;
  c.emit(fence, c.at, 'wire-cut', { zone, voltageKv: 0.3 });
  c.emit(fence, c.at + c.rng.uniform(3, 10) * S, 'fence-alarm', { zone });
  const cam = c.device('camera', 'intrusion-enter');
  const enter = c.at + c.rng.uniform(40, 120) * S;
  c.emit(cam, enter, 'intrusion-enter', { region: 1 });
  const door = c.device('access', 'door-forced');
  const forced = enter + c.rng.uniform(2, 6) * MIN;
  c.emit(door, forced, 'door-forced', { door: door.zone ?? 1 });
  if (door.profile === 'dahua-access') c.marker(door, forced + 20 * S, 'door-forced');
  c.emit(cam, forced + c.rng.uniform(10, 25) * MIN, 'intrusion-leave', { region: 1 });
  return `fence zone ${zone} cut, intrusion on ${cam.id}, door ${door.id} forced`;
}

/** Several people through on one credential within minutes. */
function tailgatingBurst(c: ScenarioContext): string {
  const door = c.device('access', 'tailgating');
  const type = door.profile === 'hik-access' ? 'tailgating' : 'anti-passback';
  const who = resident(c.compound, c.rng.int(0, residentCount(c.compound) - 1));
  const n = c.rng.int(6, 12);
  let t = c.at;
  for (let i = 0; i < n; i++) {
    c.emit(door, t, 'granted', { method: 'card', card: who.card, person: who.person, employee: who.employee, door: door.zone ?? 1, direction: 'in' }, { resident: who.index });
    c.emit(door, t + c.rng.uniform(1, 4) * S, type, type === 'tailgating' ? { door: door.zone ?? 1 } : { card: who.card, door: door.zone ?? 1, direction: 'in' });
    t += c.rng.uniform(30, 90) * S;
  }
  return `${n} ${type} events on ${door.id}`;
}

/** One card at two far-apart doors within minutes (another compound when the run has one). */
function cardCloning(c: ScenarioContext): string {
  const who = resident(c.compound, c.rng.int(0, residentCount(c.compound) - 1));
  const a = c.device('access', 'granted');
  const farCompound = c.others.length > 0 ? c.rng.pick(c.others) : c.compound;
  const candidates = c.devicesOf('access', 'granted', farCompound).filter((d) => d.id !== a.id);
  const b = candidates.length > 0 ? c.rng.pick(candidates) : a;
  const attrs = { method: 'card', card: who.card, person: who.person, employee: who.employee, direction: 'in' };
  c.emit(a, c.at, 'granted', { ...attrs, door: a.zone ?? 1 }, { resident: who.index, cloned: true });
  c.emit(b, c.at + c.rng.uniform(2, 6) * MIN, 'granted', { ...attrs, door: b.zone ?? 1 }, { resident: who.index, cloned: true });
  return `card of resident ${who.index} at ${a.id} and ${b.id}`;
}

function blacklistedPlate(c: ScenarioContext): string {
  const lane = c.device('barrier', 'blacklist-hit');
  const plate = plateFor(c.rng, 'blue', false);
  c.emit(lane, c.at, 'blacklist-hit', { plate, plateColor: 'blue', confidence: 0.95, direction: 'in', lane: lane.zone ?? 1 });
  return `plate ${plate} on the blacklist at ${lane.id}`;
}

function loitering(c: ScenarioContext): string {
  const cam = c.device('camera', 'loitering');
  const n = c.rng.int(3, 5);
  let t = c.at;
  for (let i = 0; i < n; i++) {
    c.emit(cam, t, 'motion', { region: 2 });
    c.emit(cam, t + 20 * S, 'loitering', { region: 2 });
    t += c.rng.uniform(3, 6) * MIN;
  }
  return `${n} loitering alarms on ${cam.id}`;
}

function doorHeldOpen(c: ScenarioContext): string {
  const door = c.device('access', 'door-held');
  const durationS = c.rng.int(600, 1800);
  c.emit(door, c.at + 60 * S, 'door-held', { door: door.zone ?? 1, durationS }, { openS: durationS });
  c.emit(door, c.at + durationS * S, 'door-closed', { door: door.zone ?? 1 });
  return `${door.id} held open ${durationS} s`;
}

/** Many devices of the compound drop within seconds (a switch or power failure) and come back. */
function offlineStorm(c: ScenarioContext): string {
  const all = c.compound.devices;
  const n = Math.max(2, Math.round(all.length * c.rng.uniform(0.4, 0.8)));
  const victims = [...all].sort((x, y) => (x.id < y.id ? -1 : 1)).filter(() => c.rng.chance(n / all.length)).slice(0, n);
  if (victims.length === 0 && all[0]) victims.push(all[0]);
  const back = c.at + c.rng.uniform(4, 12) * MIN;
  for (const d of victims) c.outage(d, c.at + c.rng.uniform(0, 20) * S, back + c.rng.uniform(0, 60) * S);
  return `${victims.length} of ${all.length} devices offline`;
}

function tamper(c: ScenarioContext): string {
  const cam = c.device('camera', 'tamper');
  c.emit(cam, c.at, 'tamper', { region: 1 }, { variant: 'shelter' });
  c.emit(cam, c.at + c.rng.uniform(20, 90) * S, 'video-loss', { region: 1 });
  return `${cam.id} covered, then video lost`;
}

/** One device's link goes up and down every minute or two. */
function flappingDevice(c: ScenarioContext): string {
  const d = c.device(c.rng.pick(['access', 'camera', 'barrier'] as const));
  const n = c.rng.int(5, 9);
  let t = c.at;
  for (let i = 0; i < n; i++) {
    const up = t + c.rng.uniform(10, 40) * S;
    c.outage(d, t, up);
    t = up + c.rng.uniform(30, 90) * S;
  }
  return `${d.id} dropped ${n} times`;
}

export const INCIDENTS: Record<ScenarioName, (c: ScenarioContext) => string> = {
  'burglary-night': burglaryNight,
  'tailgating-burst': tailgatingBurst,
  'card-cloning': cardCloning,
  'blacklisted-plate': blacklistedPlate,
  loitering,
  'door-held-open': doorHeldOpen,
  'offline-storm': offlineStorm,
  tamper,
  'flapping-device': flappingDevice,
};

/** Scenarios that happen at night when the caller does not say when. */
export const NIGHT_SCENARIOS: ReadonlySet<ScenarioName> = new Set(['burglary-night', 'loitering']);
