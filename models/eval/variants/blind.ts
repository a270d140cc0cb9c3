// Blind evaluation types, written by someone other than the anomaly detector's developer. The
// developer must not read this file. The types may be described only after they have been used
// for a reported evaluation.

import type { CityDevice } from '../../../protocol/city.ts';
import type { ScenarioContext } from '../../../simulators/scenarios/context.ts';
import { plateFor } from '../../../simulators/devices/people.ts';
import { encoderFor } from '../../../simulators/vendors/index.ts';
import type { Variant } from './catalogue.ts';
import { emitIf } from './emit.ts';

/*
 * Both types use only event types that normal traffic also produces, each event at its ordinary
 * severity; only the sequence over devices and minutes is unusual.
 *
 * blind-1, "insider opens the perimeter" (fence + cameras, night, one long window): someone with
 * access to the fence host switches a zone off (a pulse fence `disarm`, as maintenance does, or
 * the energiser's mains, `power-loss`, where the host cannot be disarmed remotely). A few minutes
 * later people cross the perimeter line on one camera (motion, then line-crossing), stay inside
 * for a while, and cross back out on the same or a neighbouring camera; the zone is armed again
 * some minutes after they have gone (no re-arm event exists for an energiser's mains). Normal
 * maintenance disarms last 2–15 min and are not bracketed by crossings.
 *
 * blind-2, "talked in door by door" (barrier + doors, daytime, a chain): a visitor's car with an
 * unregistered plate enters at a barrier; then the person is released remotely (a guard or an
 * intercom answer, `granted` with method `remote`, no credential) at several different doors of
 * the compound in turn, minutes apart, as a fake courier or door-to-door thief talks their way
 * into one building after another; finally the same plate leaves. Each event is routine; one
 * visitor reaching many buildings on remote releases is not.
 */

const S = 1000;
const MIN = 60 * S;

function pickDistinct<T>(c: ScenarioContext, items: readonly T[], n: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(c.rng.int(0, pool.length - 1), 1)[0]!);
  return out;
}

function blind1(c: ScenarioContext): string {
  const fence = c.device('fence', 'disarm');
  const zone = fence.zone ?? 1;
  const canDisarm = encoderFor(fence.profile).supports.has('disarm');
  let t = c.at;
  if (canDisarm) emitIf(c, fence, t, 'disarm', { zone });
  else emitIf(c, fence, t, 'power-loss', { zone });

  const cams = c.devicesOf('camera', 'line-crossing');
  const pool = cams.length > 0 ? cams : c.devicesOf('camera');
  const [inCam, other] = pickDistinct(c, pool, 2);
  const region = c.rng.int(1, 4);
  const cross = (cam: CityDevice, at: number): void => {
    emitIf(c, cam, at, 'motion', { region });
    emitIf(c, cam, at + c.rng.uniform(4, 25) * S, 'line-crossing', { region });
  };

  // In: a few people, one after the other.
  t += c.rng.uniform(3, 15) * MIN;
  const nIn = c.rng.int(1, 3);
  for (let i = 0; i < nIn; i++) {
    cross(inCam!, t);
    t += c.rng.uniform(0.5, 3) * MIN;
  }
  // Inside for a while, then out on the same camera or the next one along.
  t += c.rng.uniform(15, 55) * MIN;
  const outCam = other && c.rng.chance(0.5) ? other : inCam!;
  const nOut = c.rng.int(1, 3);
  for (let i = 0; i < nOut; i++) {
    cross(outCam, t);
    t += c.rng.uniform(0.5, 3) * MIN;
  }
  if (canDisarm) emitIf(c, fence, t + c.rng.uniform(3, 15) * MIN, 'arm', { zone });
  return `blind-1 in ${c.compound.id}`;
}

function blind2(c: ScenarioContext): string {
  const laneIn = c.device('barrier', 'unknown-vehicle');
  const color = c.rng.chance(0.85) ? 'blue' : 'green';
  const plate = plateFor(c.rng, color, c.rng.chance(0.5));
  const conf = (): number => Math.round(c.rng.uniform(0.82, 0.99) * 100) / 100;
  let t = c.at;
  emitIf(c, laneIn, t, 'unknown-vehicle', { plate, plateColor: color, confidence: conf(), direction: 'in', lane: laneIn.zone ?? 1 });

  const doors = c.devicesOf('access', 'granted');
  const n = c.rng.int(3, 6);
  // Different doors while the compound has them; a small compound's doors come round again.
  const order = pickDistinct(c, doors, n);
  while (order.length < n && doors.length > 0) order.push(c.rng.pick(doors));
  t += c.rng.uniform(1, 6) * MIN;
  for (const d of order) {
    emitIf(c, d, t, 'granted', { method: 'remote', door: d.zone ?? 1, direction: 'in' });
    t += c.rng.uniform(3, 12) * MIN;
  }

  const lanes = c.devicesOf('barrier', 'unknown-vehicle');
  const laneOut = lanes.length > 1 && c.rng.chance(0.4) ? c.rng.pick(lanes) : laneIn;
  t += c.rng.uniform(2, 15) * MIN;
  emitIf(c, laneOut, t, 'unknown-vehicle', { plate, plateColor: color, confidence: conf(), direction: 'out', lane: laneOut.zone ?? 1 });
  return `blind-2 in ${c.compound.id}`;
}

// Order: the daytime type first, so the night-time one is not placed next to perimeter-probe (also
// night-only) on the same compound-day, where the planner cannot keep them 3 h apart.
export const BLIND_VARIANTS: readonly Variant[] = [
  { name: 'blind-2', family: 'blind-2', kind: 'behaviour', novel: true, hours: [9, 20], varies: 'novel: blind type (described after its first reported evaluation)', build: blind2 },
  { name: 'blind-1', family: 'blind-1', kind: 'behaviour', novel: true, hours: [0.5, 4.5], varies: 'novel: blind type (described after its first reported evaluation)', build: blind1 },
];
