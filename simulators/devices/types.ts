import type { CityCompound, CityDevice } from '../../protocol/city.ts';
import type { DeviceKind, EventType } from '../../protocol/devices.ts';
import type { Rng } from '../random.ts';
import type { Attributes, IntentEvent, ProfileEncoder } from '../vendors/types.ts';

export interface DeviceEnv {
  device: CityDevice;
  compound: CityCompound;
  encoder: ProfileEncoder;
  /** How many devices of this kind the compound has (traffic splits between them). */
  siblings: number;
}

/** One message a behaviour wants sent, `delayMs` after the activity starts. */
export interface Draft {
  delayMs: number;
  events: IntentEvent[];
  marker?: 'end' | 'inactive';
  markerOf?: EventType;
  /** Ground truth the payload does not carry (door open time, resident index…). */
  meta?: Attributes;
}

export interface Behaviour {
  kind: DeviceKind;
  /** Mean events-channel activities per hour (weekly average) for this device. */
  ratePerHour(env: DeviceEnv): number;
  /** Drafts for one activity at local hour `hour`: the first at delay 0, follow-ups later. */
  next(env: DeviceEnv, rng: Rng, hour: number): Draft[];
}

export function ev(encoder: ProfileEncoder, type: EventType, attributes: Attributes): IntentEvent {
  return { type, severity: encoder.severity(type), attributes };
}

type Weights = readonly (readonly [EventType, number])[];
const allowedCache = new WeakMap<Weights, Map<string, Weights>>();

/** Weighted pick among the types the device's profile can carry (filtered once per profile). */
export function pickType(rng: Rng, encoder: ProfileEncoder, weights: Weights): EventType {
  let byProfile = allowedCache.get(weights);
  if (!byProfile) allowedCache.set(weights, (byProfile = new Map()));
  let allowed = byProfile.get(encoder.profile);
  if (!allowed) {
    const f = weights.filter(([t]) => encoder.supports.has(t));
    allowed = f.length > 0 ? f : weights;
    byProfile.set(encoder.profile, allowed);
  }
  return rng.weighted(allowed);
}
