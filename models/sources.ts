import type { City } from '../protocol/city.ts';
import { generateCity } from '../simulators/city.ts';
import { generateTraffic, type TrafficItem } from '../simulators/traffic.ts';
import type { ScenarioPlan } from '../simulators/scenarios/types.ts';
import type { LabeledEvent } from './dataset.ts';

/**
 * Training/evaluation traffic straight from the simulators' pure generator. We read the canonical
 * events each message stands for (`intent.events`), not the vendor payloads: decoding them would
 * need the edge codecs, and a models ↔ edge dependency would let a codec bug hide in the training
 * data. The attributes are raw here (card, plate) where the edge has keyed hashes; the features
 * only test credentials for equality, so both give the same vectors.
 */
export function* labeledEvents(items: Iterable<TrafficItem>): Generator<LabeledEvent> {
  for (const m of items) {
    // Bad traffic (malformed, unknown devices …) is the edge's dead-letter business, never events.
    if (m.intent.bad !== undefined || m.bad !== undefined) continue;
    for (const e of m.intent.events) {
      const ev: LabeledEvent = {
        deviceTime: m.intent.deviceTime,
        device: m.device,
        compound: m.compound,
        kind: m.kind,
        type: e.type,
        attributes: e.attributes,
        severity: e.severity,
      };
      if (m.truthId !== undefined) ev.truthId = m.truthId;
      yield ev;
    }
  }
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
  );
}
