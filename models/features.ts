import { ALL_EVENT_TYPES, DEVICE_KINDS, isEventTypeOfKind, type DeviceKind, type EventType } from '../protocol/devices.ts';
import type { Event } from '../protocol/event.ts';
import { DecayingCounts, LruMap, SlidingWindow } from './windows.ts';
import { poissonSurprise } from './poisson.ts';

/**
 * THE feature vector: one definition used by training (models/train.ts) and by the edge scorer
 * (edge/scoring/). Changing a feature, its order or its scaling is a new FEATURE_VERSION, and a
 * model refuses to score with another version's features (the version rides in the ONNX metadata).
 */
export const FEATURE_VERSION = 'f4';

export const FEATURE_NAMES = [
  'dev_count_10m', // log1p(events of this device in the last 10 min, this one included)
  'dev_type_burst', // −log10 P(≥ n events of this type on this device in 10 min | its own rate at this hour)
  'dev_denial_ratio_10m', // denials / (grants + denials + 1) on this device in 10 min
  'dev_distinct_creds_10m', // log1p(distinct credentials/plates on this device in 10 min)
  'hour_sin', // local hour of day on the unit circle
  'hour_cos',
  'weekend', // 1 on Saturday/Sunday (local), else 0
  'dev_gap_log', // log1p(seconds since this device's previous event), capped at 7 days
  'cred_other_compound_10m', // 1 when this credential was used in ANOTHER compound within 10 min (cloned card)
  'cmp_type_burst', // the same for this type across the whole compound (offline storms, coordinated events)
  'cmp_rare_devices_10m', // log1p(distinct devices of the compound with a rare event in 10 min): fence + camera + door = burglary
  'door_open_log', // log1p(door/gate open duration in seconds carried by this event)
  'cred_other_devices_10m', // log1p(distinct OTHER devices this credential was used at in 10 min)
  'type_surprise', // -ln p(type | device), from the device's fading history (kind prior while young)
  'hour_surprise', // -ln(24 · p(hour | device)): is this device active at this hour usually?
  'dev_burst_log', // ln((count_10m + 1) / (expected_10m_at_this_hour + 1))
  // f4: generic context (no scenario in view: several kinds of alarm, credentials over longer spans)
  'cred_other_compound_2h', // 1 when this credential was used in ANOTHER compound within 2 h (impossible travel at any pace)
  'dev_alarm_types_10m', // log1p(distinct non-routine types on this device in 10 min, offline included)
  'cmp_alarm_devices_10m', // log1p(distinct devices of the compound with a non-routine event in 10 min)
  'dev_type_count_10m', // log1p(events of this type on this device in 10 min): per type, "three loitering alarms" is plain
  'dev_rare_types_10m', // log1p(distinct types that are rare for this device, seen on it in 10 min): several odd alarms on one device
  'event_group', // context: index of (device kind, event type) in EVENT_GROUPS; per-type models pick their tables by it
] as const;
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** What the extractor reads of an event: canonical `Event` fields (a full Event fits). */
export type FeatureEvent = Pick<Event, 'deviceTime' | 'device' | 'compound' | 'kind' | 'type' | 'attributes'>;

/** Routine traffic; everything else counts as an "alarm" in the windows (offline too: storms). */
export const ROUTINE_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  'granted', 'plate-read', 'gate-open', 'gate-close', 'motion', 'online', 'arm', 'disarm',
  'intrusion-leave', 'heartbeat',
]);
const DENIAL_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  'denied', 'repeated-denied', 'anti-passback', 'unknown-vehicle', 'blacklist-hit',
]);
const GRANT_TYPES: ReadonlySet<EventType> = new Set<EventType>(['granted', 'plate-read']);

/**
 * Heartbeats are the device's clock, not activity: they would drown every window in a metronome.
 * Device health (offline storms) still shows through `offline` events.
 */
export function isScorable(ev: Pick<FeatureEvent, 'type'>): boolean {
  return ev.type !== 'heartbeat';
}

/**
 * Credential identity. The edge's privacy stage replaces raw `card` / `plate` / `employee` with
 * keyed hashes; equality is all the features need, so hashed and raw values work alike.
 */
const CREDENTIAL_KEYS = ['cardHash', 'card', 'plateHash', 'plate', 'employeeHash', 'employee'] as const;
export function credentialOf(attrs: Record<string, unknown>): string | undefined {
  for (const k of CREDENTIAL_KEYS) {
    const v = attrs[k];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return undefined;
}

/** Open duration in seconds (Dahua `DoorNotClosed` Duration, simulators' door-held). */
const DURATION_KEYS = ['durationS', 'duration', 'durationSeconds', 'openS', 'openSeconds', 'heldS'] as const;
export function openSecondsOf(attrs: Record<string, unknown>): number {
  for (const k of DURATION_KEYS) {
    const v = attrs[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  }
  return 0;
}

export interface FeatureOptions {
  /** Site timezone offset for hour/weekday (minutes east of UTC); Xiamen +08:00 = 480. */
  tzOffsetMinutes: number;
  /** Sliding window span (ms). */
  windowMs: number;
  /** Half-life (ms) of the per-device memory of types and hours. */
  memoryHalfLifeMs: number;
  maxDevices: number;
  maxCompounds: number;
  maxCredentials: number;
  /** Ring capacity per device / per compound window (events). */
  deviceWindowCapacity: number;
  compoundWindowCapacity: number;
}

export const DEFAULT_FEATURE_OPTIONS: Readonly<FeatureOptions> = Object.freeze({
  tzOffsetMinutes: 480,
  windowMs: 10 * 60_000,
  memoryHalfLifeMs: 3 * 86_400_000,
  maxDevices: 20_000,
  maxCompounds: 5_000,
  maxCredentials: 50_000,
  deviceWindowCapacity: 512,
  compoundWindowCapacity: 4_096,
});

const TYPE_INDEX = new Map<EventType, number>(ALL_EVENT_TYPES.map((t, i) => [t, i]));
const N_TYPES = ALL_EVENT_TYPES.length;
/** Weight of the kind-level prior, in events: a young device borrows its kind's habits. */
const PRIOR_WEIGHT = 20;
/**
 * Pseudo-count of every type in the kind-level prior. Small on purpose: a type this edge has never
 * seen from the kind (a blacklist hit, a cut wire) must read as far stranger than a nuisance
 * alarm that turns up once a day somewhere (a fault, a tamper).
 */
const KIND_PSEUDO_COUNT = 0.02;
const MAX_SURPRISE = 20;
/** Type surprise (nats) above which an event is "rare" for its device: p < e^-4 ≈ 1/55. */
const RARE_SURPRISE = 4;
/** Cap of the burst features (orders of magnitude): a storm is a storm past this. */
const MAX_BURST = 30;
const MAX_GAP_S = 7 * 86_400;
const FIRST_GAP_S = 3_600;
const CRED_SIGHTINGS = 6;
/** How far back a credential's use in another compound counts (a cloned card used an hour later). */
const CRED_TRAVEL_MS = 2 * 3_600_000;
/** Every (device kind, event type) pair a device may emit, in a fixed order: the `event_group` values. */
export const EVENT_GROUPS: readonly string[] = DEVICE_KINDS.flatMap((k) => ALL_EVENT_TYPES.filter((t) => isEventTypeOfKind(k, t)).map((t) => `${k}/${t}`));
const GROUP_INDEX = new Map<string, number>(EVENT_GROUPS.map((g, i) => [g, i]));
/** Column of `event_group`. */
export const GROUP_FEATURE = 21;

interface DeviceState {
  window: SlidingWindow;
  types: DecayingCounts;
  hours: DecayingCounts;
  firstT: number;
  lastT: number;
}

interface CompoundState {
  window: SlidingWindow;
  types: DecayingCounts;
  hours: DecayingCounts;
  firstT: number;
}

interface KindState {
  types: DecayingCounts;
  hours: DecayingCounts;
}

interface Sighting {
  device: string;
  compound: string;
  t: number;
}

/**
 * Stateful, bounded feature extractor. Feed events in time order (per device; late events are
 * clamped to the device's latest time rather than rewinding its windows). `push` returns the
 * features of the event in the context of what came before it, or null for events that are not
 * scored (heartbeats).
 */
export class FeatureExtractor {
  readonly options: FeatureOptions;
  private readonly devices: LruMap<string, DeviceState>;
  private readonly compounds: LruMap<string, CompoundState>;
  private readonly credentials: LruMap<string, Sighting[]>;
  private readonly kinds = new Map<DeviceKind, KindState>();

  constructor(options: Partial<FeatureOptions> = {}) {
    this.options = { ...DEFAULT_FEATURE_OPTIONS, ...options };
    this.devices = new LruMap(this.options.maxDevices);
    this.compounds = new LruMap(this.options.maxCompounds);
    this.credentials = new LruMap(this.options.maxCredentials);
    for (const k of DEVICE_KINDS) {
      this.kinds.set(k, {
        types: new DecayingCounts(N_TYPES, this.options.memoryHalfLifeMs),
        hours: new DecayingCounts(24, this.options.memoryHalfLifeMs),
      });
    }
  }

  /** Sizes of the bounded maps (for tests and /health). */
  sizes(): { devices: number; compounds: number; credentials: number } {
    return { devices: this.devices.size, compounds: this.compounds.size, credentials: this.credentials.size };
  }

  push(ev: FeatureEvent, out: Float32Array = new Float32Array(FEATURE_COUNT)): Float32Array | null {
    if (!isScorable(ev)) return null;
    const o = this.options;
    const typeIdx = TYPE_INDEX.get(ev.type);
    if (typeIdx === undefined) return null;
    const kind = this.kinds.get(ev.kind);
    if (kind === undefined) return null;

    let dev = this.devices.get(ev.device);
    if (dev === undefined) {
      dev = {
        window: new SlidingWindow(o.windowMs, o.deviceWindowCapacity),
        types: new DecayingCounts(N_TYPES, o.memoryHalfLifeMs),
        hours: new DecayingCounts(24, o.memoryHalfLifeMs),
        firstT: ev.deviceTime,
        lastT: Number.NaN,
      };
      this.devices.set(ev.device, dev);
    }
    let cmp = this.compounds.get(ev.compound);
    if (cmp === undefined) {
      cmp = {
        window: new SlidingWindow(o.windowMs, o.compoundWindowCapacity),
        types: new DecayingCounts(N_TYPES, o.memoryHalfLifeMs),
        hours: new DecayingCounts(24, o.memoryHalfLifeMs),
        firstT: ev.deviceTime,
      };
      this.compounds.set(ev.compound, cmp);
    }

    const t = Number.isNaN(dev.lastT) ? ev.deviceTime : Math.max(ev.deviceTime, dev.lastT);
    const gapS = Number.isNaN(dev.lastT) ? FIRST_GAP_S : Math.min((t - dev.lastT) / 1000, MAX_GAP_S);
    const local = t + o.tzOffsetMinutes * 60_000;
    const hourF = (((local / 3_600_000) % 24) + 24) % 24;
    const hour = Math.min(23, Math.floor(hourF));
    const weekday = (((Math.floor(local / 86_400_000) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday

    // Surprise is judged against history *before* this event.
    dev.types.decayTo(t);
    dev.hours.decayTo(t);
    cmp.types.decayTo(t);
    cmp.hours.decayTo(t);
    kind.types.decayTo(t);
    kind.hours.decayTo(t);
    const pKindType = ((kind.types.values[typeIdx] ?? 0) + KIND_PSEUDO_COUNT) / (kind.types.total + KIND_PSEUDO_COUNT * N_TYPES);
    const pType = ((dev.types.values[typeIdx] ?? 0) + PRIOR_WEIGHT * pKindType) / (dev.types.total + PRIOR_WEIGHT);
    const pKindHour = ((kind.hours.values[hour] ?? 0) + 1) / (kind.hours.total + 24);
    const pHour = ((dev.hours.values[hour] ?? 0) + PRIOR_WEIGHT * pKindHour) / (dev.hours.total + PRIOR_WEIGHT);
    // Expected events in a window at this hour: the device's decayed count is the integral of its
    // rate under the fading kernel, so divide by the kernel's mass over the device's age.
    const expected = this.expectedInWindow(dev.types.total, t - dev.firstT) * 24 * pHour;
    const pCmpType = ((cmp.types.values[typeIdx] ?? 0) + PRIOR_WEIGHT * pKindType) / (cmp.types.total + PRIOR_WEIGHT);
    const pCmpHour = ((cmp.hours.values[hour] ?? 0) + PRIOR_WEIGHT * pKindHour) / (cmp.hours.total + PRIOR_WEIGHT);
    const cmpExpected = this.expectedInWindow(cmp.types.total, t - cmp.firstT) * 24 * pCmpHour;

    const typeSurprise = Math.min(MAX_SURPRISE, -Math.log(pType));
    const cred = credentialOf(ev.attributes);
    const routine = ROUTINE_TYPES.has(ev.type);
    const entry = {
      t,
      routine,
      type: typeIdx,
      rare: !routine && typeSurprise > RARE_SURPRISE,
      denial: DENIAL_TYPES.has(ev.type),
      grant: GRANT_TYPES.has(ev.type),
      cred,
      device: ev.device,
    };
    dev.window.push(entry);
    cmp.window.push(entry);

    let otherDevices = 0;
    let otherCompound = 0;
    let otherCompoundLong = 0;
    if (cred !== undefined) {
      // Edge-wide, not per compound: one edge serves the compounds of a police station, and a
      // cloned card shows up at a door of another compound.
      const seen = this.credentials.get(cred) ?? [];
      const distinct = new Set<string>();
      for (const s of seen) {
        if (s.compound !== ev.compound && t - s.t <= CRED_TRAVEL_MS) otherCompoundLong = 1;
        if (s.device === ev.device || t - s.t > o.windowMs) continue;
        distinct.add(s.device);
        if (s.compound !== ev.compound) otherCompound = 1;
      }
      otherDevices = distinct.size;
      seen.push({ device: ev.device, compound: ev.compound, t });
      if (seen.length > CRED_SIGHTINGS) seen.shift();
      this.credentials.set(cred, seen);
    }

    const w = dev.window;
    const cw = cmp.window;
    // Bursts of one type: n of this type in the window vs. what this device (compound) does at
    // this hour. One never-seen event, six tailgatings in ten minutes and twenty devices going
    // offline at once all land far out; a nuisance alarm that comes daily does not.
    const devBurst = poissonSurprise(w.types.get(typeIdx) ?? 0, expected * pType, MAX_BURST);
    const cmpBurst = poissonSurprise(cw.types.get(typeIdx) ?? 0, cmpExpected * pCmpType, MAX_BURST);
    out[0] = Math.log1p(w.count);
    out[1] = devBurst;
    out[2] = w.denials / (w.grants + w.denials + 1);
    out[3] = Math.log1p(w.creds.size);
    out[4] = Math.sin((2 * Math.PI * hourF) / 24);
    out[5] = Math.cos((2 * Math.PI * hourF) / 24);
    out[6] = weekday === 0 || weekday === 6 ? 1 : 0;
    out[7] = Math.log1p(Math.max(0, gapS));
    out[8] = otherCompound;
    out[9] = cmpBurst;
    out[10] = Math.log1p(cw.rareDevices.size);
    out[11] = Math.log1p(openSecondsOf(ev.attributes));
    out[12] = Math.log1p(otherDevices);
    out[13] = typeSurprise;
    out[14] = Math.max(-MAX_SURPRISE, Math.min(MAX_SURPRISE, -Math.log(24 * pHour)));
    out[15] = Math.log((w.count + 1) / (expected + 1));
    out[16] = otherCompoundLong;
    out[17] = Math.log1p(w.alarmTypes.size);
    out[18] = Math.log1p(cw.alarmDevices.size);
    out[19] = Math.log1p(w.types.get(typeIdx) ?? 0);
    out[20] = Math.log1p(w.rareTypes.size);
    out[GROUP_FEATURE] = GROUP_INDEX.get(`${ev.kind}/${ev.type}`) ?? 0;

    // Learn from this event after scoring it.
    dev.types.add(typeIdx);
    dev.hours.add(hour);
    cmp.types.add(typeIdx);
    cmp.hours.add(hour);
    kind.types.add(typeIdx);
    kind.hours.add(hour);
    dev.lastT = t;
    return out;
  }

  /** Events expected in one window from a fading count accumulated over `ageMs`. */
  private expectedInWindow(decayedTotal: number, ageMs: number): number {
    const o = this.options;
    const age = Math.max(ageMs, o.windowMs);
    const kernelMs = (o.memoryHalfLifeMs / Math.LN2) * (1 - Math.pow(2, -age / o.memoryHalfLifeMs));
    return (decayedTotal / kernelMs) * o.windowMs;
  }
}
