import type { City } from '../protocol/city.ts';
import { generateCity } from '../simulators/city.ts';
import { generateTraffic, type TrafficItem } from '../simulators/traffic.ts';
import type { ScenarioPlan } from '../simulators/scenarios/types.ts';
import type { LabeledEvent } from './dataset.ts';
import { DURATION_KEYS } from './features.ts';

/**
 * Open durations: no simulated payload carries one. A held-open alarm (Hikvision minor 0x1c,
 * Dahua `DoorNotClosed` Start) is raised when the door passes its hold time, before anyone knows
 * how long it will stay open; the edge measures the hold from the alarm to the door's close
 * (`door-closed`, features.ts f9). The simulators' intent knows the duration, so offline rows
 * drop it (kt-2.1.0's offline figures counted durations the live path never saw, and up to
 * kt-2.4.0 the simulated Dahua alarm carried its own future duration).
 * `test/models/offline-attributes.test.ts` checks this against the codecs, per profile.
 */
/**
 * Camera regions (f8 reads them on intrusion enter/leave): Hikvision's alert stream names the
 * region (`DetectionRegionList`), a GB/T 28181 alarm notify does not (DEVICES.md).
 */
const CARRIES_REGION: ReadonlySet<string> = new Set(['line-crossing', 'intrusion-enter', 'intrusion-leave', 'loitering'].map((t) => `hik-camera-alert/${t}`));

/** The attributes of an intended event (of `type`) as the device's vendor payload can carry them. */
export function carriedAttributes<A extends Record<string, unknown>>(profile: string | undefined, type: string, attrs: A): A {
  if (profile === undefined) return attrs;
  const dropDuration = DURATION_KEYS.some((k) => k in attrs);
  const dropRegion = !CARRIES_REGION.has(`${profile}/${type}`) && 'region' in attrs;
  if (!dropDuration && !dropRegion) return attrs;
  const out: A = { ...attrs };
  if (dropDuration) for (const k of DURATION_KEYS) delete out[k];
  if (dropRegion) delete out['region'];
  return out;
}

/**
 * Training/evaluation traffic straight from the simulators' pure generator. We read the canonical
 * events each message stands for (`intent.events`), not the vendor payloads: decoding them would
 * need the edge codecs, and a models ↔ edge dependency would let a codec bug hide in the training
 * data. The attributes are raw here (card, plate) where the edge has keyed hashes; the features
 * only test credentials for equality, so both give the same vectors. What a vendor's payload
 * cannot carry is dropped (`carriedAttributes`), and each event names its device's vendor
 * profile (the features' vendor prior, f6), as the edge's site config does.
 */
export function* labeledEvents(items: Iterable<TrafficItem>, profileOf: (device: string) => string | undefined = () => undefined): Generator<LabeledEvent> {
  for (const m of items) {
    // Bad traffic (malformed, unknown devices …) is the edge's dead-letter business, never events.
    if (m.intent.bad !== undefined || m.bad !== undefined) continue;
    const profile = profileOf(m.device);
    for (const e of m.intent.events) {
      const ev: LabeledEvent = {
        deviceTime: m.intent.deviceTime,
        device: m.device,
        compound: m.compound,
        kind: m.kind,
        type: e.type,
        attributes: carriedAttributes(profile, e.type, e.attributes),
        severity: e.severity,
      };
      if (profile !== undefined) ev.profile = profile;
      if (m.truthId !== undefined) ev.truthId = m.truthId;
      yield ev;
    }
  }
}

/** Device id → vendor profile of a city (what the edge's site config says). */
export function profilesOf(city: City): (device: string) => string | undefined {
  const m = new Map(city.compounds.flatMap((c) => c.devices.map((d) => [d.id, d.profile as string] as const)));
  return (device) => m.get(device);
}

export interface TrafficSpec {
  citySeed: number;
  compounds: number;
  trafficSeed: number;
  /** Local midnight (+08:00) the traffic starts at, ISO. */
  start: string;
  days: number;
}

export function cityFor(spec: TrafficSpec): City {
  return generateCity({ compounds: spec.compounds, seed: spec.citySeed });
}

export function startMsOf(spec: TrafficSpec): number {
  return Date.parse(spec.start);
}

/** The labelled canonical events of a traffic spec (heartbeats off: the features skip them). */
export function trafficEvents(spec: TrafficSpec, plan?: ScenarioPlan): Iterable<LabeledEvent> {
  const city = cityFor(spec);
  return labeledEvents(
    generateTraffic({
      city,
      compoundIds: city.compounds.map((c) => c.id),
      seed: spec.trafficSeed,
      startMs: startMsOf(spec),
      durationMs: spec.days * 86_400_000,
      heartbeats: false,
      ...(plan ? { plan } : {}),
    }),
    profilesOf(city),
  );
}
