import { ALL_EVENT_TYPES, DEVICE_KINDS, isEventTypeOfKind, type DeviceKind, type EventType } from '../protocol/devices.ts';
import type { Event } from '../protocol/event.ts';
import { DENIAL, DecayingCounts, GRANT, LruMap, RARE, ROUTINE, SlidingWindow } from './windows.ts';
import { poissonSurprise } from './poisson.ts';
import { EntrySpanMemory, type EntrySpanSnap } from './entry-span.ts';

/**
 * THE feature vector: one definition used by training (models/train.ts) and by the edge scorer
 * (edge/scoring/). Changing a feature, its order or its scaling is a new FEATURE_VERSION, and a
 * model refuses to score with another version's features (the version rides in the ONNX metadata).
 */
export const FEATURE_VERSION = 'f10';

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
  'cmp_rare_excess_10m', // f5: ln((distinct devices of the compound with a rare event in 10 min + 1) / (rare events this compound has in 10 min at this hour + 1))
  'door_open_log', // log1p(door open seconds: carried by this event, or f9: on a door-closed, the time since that door's held-open alarm)
  'cred_other_devices_10m', // log1p(distinct OTHER devices this credential was used at in 10 min)
  'type_surprise', // -ln p(type | device), from the device's fading history (kind prior while young)
  'hour_surprise', // -ln(24 · p(hour | device)): is this device active at this hour usually?
  'dev_burst_log', // ln((count_10m + 1) / (expected_10m_at_this_hour + 1))
  // f4: generic context (no scenario in view: several kinds of alarm, credentials over longer spans)
  'cred_other_compound_2h', // 1 when this credential was used in ANOTHER compound within 2 h (impossible travel at any pace)
  'dev_alarm_types_10m', // log1p(distinct non-routine types on this device in 10 min, offline included)
  'cmp_alarm_excess_10m', // f5: ln((distinct devices of the compound with a non-routine event in 10 min + 1) / (its usual non-routine events in 10 min at this hour + 1)):
  // a raw count grows with the compound's size, so big compounds raised most false alerts (f4)
  'dev_type_recent', // f5: log1p(Σ exp(−age / 15 min) over this device's events of this type, this one included): a per-type count that also sees alarms spread over half an hour
  'dev_rare_surprise_10m', // f5: Σ type surprise (nats) over the distinct types rare for this device seen on it in 10 min: two odd alarms that are each very rare (cover + video lost) weigh more than two daily nuisances
  'cmp_denied_creds_excess_10m', // f6: ln((distinct credentials refused anywhere in the compound in 10 min + 1) / (its usual denials in 10 min at this hour + 1)): many different cards tried across doors, each door seeing only a few (a scan), where one card refused five times is the everyday nuisance
  'event_group', // context: index of (device kind, event type) in EVENT_GROUPS; per-type models pick their tables by it
  'dev_blind_after_tamper', // f7: 1 on a video-loss of a device that reported tamper within the window before (covered, then blind), else 0
  'cam_entry_spans_forced', // f8 (f10: stay ≥ 5 min, measured gate): 1 on an intrusion-leave of a camera region whose still-open entry began ≤ 10 min before a forced door of the compound that is 5–30 min old, in a compound whose measured entry spans make that coincidence rarer than ENTRY_SPAN_CHANCE_MAX a day, else 0
] as const;
export const FEATURE_COUNT = FEATURE_NAMES.length;

/**
 * What the extractor reads of an event: canonical `Event` fields (a full Event fits), plus the
 * device's vendor profile when the caller knows it (else `FeatureOptions.profileOf` is asked).
 */
export type FeatureEvent = Pick<Event, 'deviceTime' | 'device' | 'compound' | 'kind' | 'type' | 'attributes'> & { profile?: string };

/** Routine traffic; everything else counts as an "alarm" in the windows (offline too: storms). */
export const ROUTINE_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  'granted', 'plate-read', 'gate-open', 'gate-close', 'motion', 'online', 'arm', 'disarm',
  'intrusion-leave', 'heartbeat', 'door-closed',
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
const credential = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
/**
 * The first credential an event carries, in this order: cardHash, card, plateHash, plate,
 * employeeHash, employee. Spelled out rather than a loop over a key list: named property loads
 * are cheaper than keyed ones, and this runs on every event.
 */
export function credentialOf(attrs: Record<string, unknown>): string | undefined {
  const a = attrs as { cardHash?: unknown; card?: unknown; plateHash?: unknown; plate?: unknown; employeeHash?: unknown; employee?: unknown };
  const { cardHash, card, plateHash, plate, employeeHash, employee } = a;
  if (credential(cardHash)) return cardHash;
  if (credential(card)) return card;
  if (credential(plateHash)) return plateHash;
  if (credential(plate)) return plate;
  if (credential(employeeHash)) return employeeHash;
  if (credential(employee)) return employee;
  return undefined;
}

/**
 * Camera region (Hik `DetectionRegionList` regionID; GB/T 28181 alarms name none). Offline rows
 * carry a number, the edge's codec a string: both read as the same key.
 */
export function regionOf(attrs: Record<string, unknown>): string {
  const v = attrs['region'];
  return typeof v === 'number' || (typeof v === 'string' && v.length > 0) ? String(v) : '';
}

/** Open duration in seconds a payload carries (some Dahua firmware's `Duration`), else 0. */
export const DURATION_KEYS = ['durationS', 'duration', 'durationSeconds', 'openS', 'openSeconds', 'heldS'] as const;
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
  /**
   * f6: the vendor profile of a device (site config `devices[].profile`). A new device starts
   * from the prior of its kind AND vendor (a Hikvision door and a Dahua door report other types
   * at other rates); without a profile it starts from its kind's.
   */
  profileOf?: (device: string) => string | undefined;
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
 * Weight (events) of the kind prior inside a vendor's prior: kind → vendor → device shrinkage.
 * A vendor this edge has barely seen reads as its kind; after a few hundred events its own mix
 * and rate dominate.
 */
const VENDOR_WEIGHT = 200;
/** Vendor priors kept (profiles are a short catalogue; the bound only guards hostile input). */
const MAX_VENDORS = 256;
/**
 * Pseudo-count of every type in the kind-level prior. Small on purpose: a type this edge has never
 * seen from the kind (a blacklist hit, a cut wire) must read as far stranger than a nuisance
 * alarm that turns up once a day somewhere (a fault, a tamper).
 */
const KIND_PSEUDO_COUNT = 0.02;
const MAX_SURPRISE = 20;
/** Type surprise (nats) above which an event is "rare" for its device: p < e^-4 ≈ 1/55. */
const RARE_SURPRISE = 4;
/** Time constant of `dev_type_recent` (ms). */
const RECENT_TAU_MS = 15 * 60_000;
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
/** kind → type index → group (the same as GROUP_INDEX, without building a key string per event). */
const GROUP_OF = new Map<string, Int32Array>(DEVICE_KINDS.map((k) => [k, Int32Array.from(ALL_EVENT_TYPES, (t) => GROUP_INDEX.get(`${k}/${t}`) ?? 0)]));
/** Column of `event_group`. */
export const GROUP_FEATURE = 22;
/** Column of `dev_blind_after_tamper` (f7; appended after `event_group` so the group column stays 22). */
export const BLIND_AFTER_TAMPER_FEATURE = 23;
const TAMPER_TYPE = TYPE_INDEX.get('tamper')!;
/** Column of `cam_entry_spans_forced` (f8). */
export const ENTRY_SPANS_FORCED_FEATURE = 24;
const ENTER_TYPE = TYPE_INDEX.get('intrusion-enter')!;
const LEAVE_TYPE = TYPE_INDEX.get('intrusion-leave')!;
const FORCED_TYPE = TYPE_INDEX.get('door-forced')!;
/** f8: a forced door counts for region entries that stayed open this long after it (an intruder inside up to half an hour). */
const DOOR_TO_LEAVE_MS = 30 * 60_000;
/**
 * f8: and at least this long: someone passing through the view while a door is forced leaves
 * within seconds (the simulated passers-by: median 40 s, 95 % under 4 min); an intruder stays.
 */
const MIN_STAY_MS = 5 * 60_000;
/** f8: the entry-span cover (EntrySpanMemory.coverMs) is summed in minutes in the compound's `alarms` counts, at this index. */
const COVER_BUCKET = 3;
/**
 * f8: the pattern counts only where the compound's own traffic would produce it by chance less
 * often than this per day: forced doors a day × the share of the time line on which a forced door
 * would have made one of the compound's measured entry spans the pattern (their summed cover, per
 * ms of the same fading memory). Measured, not modelled: how long people stay in a region is the
 * compound's own. 0.25 is the rules' half (ruleShare) of the 0.5 alerts per compound-day of the
 * fixed safety (kt.ts). It stays a constant of the feature definition, not derived from the
 * recipe, even with a measured safety (kt.ts, 'measured'): that is measured on scores of these
 * features, so a gate that followed it would feed back into its own measurement; the edge
 * computes the same features without the recipe; and whether the rule fits the budget is decided
 * downstream anyway (rules.ts admits it on validation alerts). The measured rules' share is
 * ≥ 0.25 (safety ≥ 0.5, the floor), so the gate never asks for more than the rules may spend.
 */
export const ENTRY_SPAN_CHANCE_MAX = 0.25;
const DAY_MS = 86_400_000;
const VIDEO_LOSS_TYPE = TYPE_INDEX.get('video-loss')!;
const HELD_TYPE = TYPE_INDEX.get('door-held')!;
const CLOSED_TYPE = TYPE_INDEX.get('door-closed')!;

interface DeviceState {
  window: SlidingWindow;
  types: DecayingCounts;
  hours: DecayingCounts;
  /** Per type: exp-decayed count (time constant RECENT_TAU_MS) as of `recentT[type]`. */
  recent: Float64Array;
  recentT: Float64Array;
  firstT: number;
  lastT: number;
  /** f9: doors of this device with a held-open alarm not closed yet: [door, alarm time], oldest first. */
  held?: [string, number][];
}

interface CompoundState {
  window: SlidingWindow;
  types: DecayingCounts;
  hours: DecayingCounts;
  /**
   * Fading counts of the compound's [non-routine, rare, denial] events (what "many alarms" means
   * for its size) and, at COVER_BUCKET, f8's summed entry-span cover in minutes.
   */
  alarms: DecayingCounts;
  firstT: number;
  /** f8: forced doors and open camera-region entries. */
  spans: EntrySpanMemory;
}

interface KindState {
  types: DecayingCounts;
  hours: DecayingCounts;
  /** Devices of this kind this extractor has started (for the per-device rate prior). */
  devices: number;
  firstT: number;
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
  /** f6: per (kind, vendor profile) prior, key `${kind}/${profile}`. */
  private readonly vendors = new Map<string, KindState>();
  /** The same priors by profile then kind: found per event without building the key string. */
  private readonly vendorIndex = new Map<string, Map<string, KindState>>();

  constructor(options: Partial<FeatureOptions> = {}) {
    this.options = { ...DEFAULT_FEATURE_OPTIONS, ...options };
    this.devices = new LruMap(this.options.maxDevices);
    this.compounds = new LruMap(this.options.maxCompounds);
    this.credentials = new LruMap(this.options.maxCredentials);
    for (const k of DEVICE_KINDS) {
      this.kinds.set(k, {
        types: new DecayingCounts(N_TYPES, this.options.memoryHalfLifeMs),
        hours: new DecayingCounts(24, this.options.memoryHalfLifeMs),
        devices: 0,
        firstT: Number.NaN,
      });
    }
  }

  private lastEventT = Number.NaN;

  /** True when this extractor has memory of `device` (restored or seen). */
  knows(device: string): boolean {
    return this.devices.has(device);
  }

  /** True once the kind-level prior has seen enough events to stand in for a new device's history. */
  kindWarm(kind: DeviceKind, minEvents = 100): boolean {
    return (this.kinds.get(kind)?.types.total ?? 0) >= minEvents;
  }

  /** The whole memory as plain data (see FeatureSnapshot). */
  snapshot(): FeatureSnapshot {
    return {
      ...this.snapshotHead(),
      devices: [...this.devices.entries()].map(deviceEntry),
      compounds: [...this.compounds.entries()].map(compoundEntry),
      credentials: [...this.credentials.entries()].map(credentialEntry),
      kinds: [...this.kinds.entries()].map(priorEntry),
      vendors: [...this.vendors.entries()].map(priorEntry),
    };
  }

  /**
   * `JSON.stringify(this.snapshot())` cut into pieces of about `chunkChars` characters (a piece
   * ends after the entry that takes it past that), written one device (compound, ...) at a time,
   * so neither the whole object graph nor the whole text is ever held. At 2,000 devices a 5.5-MiB
   * snapshot saved as one text and one row raised the edge's peak RSS by ~34 MiB at each 30-s
   * save (stringify ~11, SQLite ~14), the edge's highest peaks; FeatureStateStore writes each
   * piece as a row of one transaction.
   */
  *snapshotChunks(chunkChars = 256 * 1024): Generator<string> {
    let parts: string[] = [];
    let size = 0;
    const put = (text: string): string | undefined => {
      parts.push(text);
      size += text.length;
      if (size < chunkChars) return undefined;
      const piece = parts.join('');
      parts = [];
      size = 0;
      return piece;
    };
    const head = JSON.stringify(this.snapshotHead());
    const lists: [keyof FeatureSnapshot, Iterable<string>][] = [
      ['devices', mapIter(this.devices.entries(), (e) => JSON.stringify(deviceEntry(e)))],
      ['compounds', mapIter(this.compounds.entries(), (e) => JSON.stringify(compoundEntry(e)))],
      ['credentials', mapIter(this.credentials.entries(), (e) => JSON.stringify(credentialEntry(e)))],
      ['kinds', mapIter(this.kinds.entries(), (e) => JSON.stringify(priorEntry(e)))],
      ['vendors', mapIter(this.vendors.entries(), (e) => JSON.stringify(priorEntry(e)))],
    ];
    let piece = put(head.slice(0, -1));
    if (piece) yield piece;
    for (const [key, items] of lists) {
      piece = put(`,"${key}":[`);
      if (piece) yield piece;
      let first = true;
      for (const item of items) {
        piece = put(first ? item : `,${item}`);
        if (piece) yield piece;
        first = false;
      }
      piece = put(']');
      if (piece) yield piece;
    }
    parts.push('}');
    yield parts.join('');
  }

  private snapshotHead(): Omit<FeatureSnapshot, 'devices' | 'compounds' | 'credentials' | 'kinds' | 'vendors'> {
    const o = this.options;
    return {
      format: 'safestar-feature-state',
      version: FEATURE_STATE_VERSION,
      featureVersion: FEATURE_VERSION,
      types: N_TYPES,
      options: { tzOffsetMinutes: o.tzOffsetMinutes, windowMs: o.windowMs, memoryHalfLifeMs: o.memoryHalfLifeMs },
      lastEventT: nanToNull(this.lastEventT),
    };
  }

  /**
   * Replace this extractor's memory with a snapshot. Throws FeatureStateError (and changes
   * nothing) when the snapshot is of another version or window setting, or malformed.
   */
  restore(snap: FeatureSnapshot): void {
    const o = this.options;
    if (snap?.format !== 'safestar-feature-state' || snap.version !== FEATURE_STATE_VERSION || snap.featureVersion !== FEATURE_VERSION || snap.types !== N_TYPES) {
      throw new FeatureStateError('SS_FEATURE_STATE_VERSION', `snapshot is ${String(snap?.format)} v${String(snap?.version)} features ${String(snap?.featureVersion)}, this edge needs v${FEATURE_STATE_VERSION} features ${FEATURE_VERSION}; starting without it`);
    }
    if (snap.options.windowMs !== o.windowMs || snap.options.memoryHalfLifeMs !== o.memoryHalfLifeMs || snap.options.tzOffsetMinutes !== o.tzOffsetMinutes) {
      throw new FeatureStateError('SS_FEATURE_STATE_OPTIONS', 'snapshot was taken with other window, memory or timezone settings; starting without it');
    }
    try {
      const devices = new LruMap<string, DeviceState>(o.maxDevices);
      for (const [id, d] of snap.devices) {
        const st: DeviceState = {
          window: new SlidingWindow(o.windowMs, o.deviceWindowCapacity),
          types: new DecayingCounts(N_TYPES, o.memoryHalfLifeMs),
          hours: new DecayingCounts(24, o.memoryHalfLifeMs),
          recent: Float64Array.from(d.recent),
          recentT: Float64Array.from(d.recentT),
          firstT: d.firstT,
          lastT: d.lastT ?? Number.NaN,
        };
        if (st.recent.length !== N_TYPES || st.recentT.length !== N_TYPES) throw new Error('recent counts of the wrong size');
        if (d.held !== undefined) {
          if (!Array.isArray(d.held) || d.held.length > MAX_HELD_DOORS || !d.held.every(([door, at]) => typeof door === 'string' && Number.isFinite(at))) throw new Error('open held-door alarms malformed');
          if (d.held.length > 0) st.held = d.held.map(([door, at]) => [door, at]);
        }
        st.types.load(d.types);
        st.hours.load(d.hours);
        for (const e of d.w) restoreEntry(st.window, e);
        devices.set(id, st);
      }
      const compounds = new LruMap<string, CompoundState>(o.maxCompounds);
      for (const [id, c] of snap.compounds) {
        const st: CompoundState = {
          window: new SlidingWindow(o.windowMs, o.compoundWindowCapacity),
          types: new DecayingCounts(N_TYPES, o.memoryHalfLifeMs),
          hours: new DecayingCounts(24, o.memoryHalfLifeMs),
          alarms: new DecayingCounts(4, o.memoryHalfLifeMs),
          firstT: c.firstT,
          spans: new EntrySpanMemory(o.windowMs, DOOR_TO_LEAVE_MS, MIN_STAY_MS),
        };
        st.spans.load(c.spans);
        st.types.load(c.types);
        st.hours.load(c.hours);
        st.alarms.load(c.alarms);
        for (const e of c.w) restoreEntry(st.window, e);
        compounds.set(id, st);
      }
      const credentials = new LruMap<string, Sighting[]>(o.maxCredentials);
      for (const [cred, seen] of snap.credentials) credentials.set(cred, seen.slice(-CRED_SIGHTINGS).map(([device, compound, t]) => ({ device, compound, t })));
      const kinds = new Map<DeviceKind, KindState>();
      for (const k of DEVICE_KINDS) {
        kinds.set(k, { types: new DecayingCounts(N_TYPES, o.memoryHalfLifeMs), hours: new DecayingCounts(24, o.memoryHalfLifeMs), devices: 0, firstT: Number.NaN });
      }
      for (const [k, s] of snap.kinds) {
        const st = kinds.get(k);
        if (!st) continue; // a kind this build no longer has
        st.types.load(s.types);
        st.hours.load(s.hours);
        st.devices = s.devices;
        st.firstT = s.firstT ?? Number.NaN;
      }
      const vendors = new Map<string, KindState>();
      for (const [key, s] of snap.vendors.slice(0, MAX_VENDORS)) {
        const st: KindState = { types: new DecayingCounts(N_TYPES, o.memoryHalfLifeMs), hours: new DecayingCounts(24, o.memoryHalfLifeMs), devices: s.devices, firstT: s.firstT ?? Number.NaN };
        st.types.load(s.types);
        st.hours.load(s.hours);
        vendors.set(key, st);
      }
      this.devices.replaceWith(devices);
      this.compounds.replaceWith(compounds);
      this.credentials.replaceWith(credentials);
      for (const [k, st] of kinds) this.kinds.set(k, st);
      this.vendors.clear();
      this.vendorIndex.clear();
      for (const [k, st] of vendors) {
        this.vendors.set(k, st);
        const slash = k.indexOf('/');
        this.indexVendor(k.slice(slash + 1), k.slice(0, slash), st);
      }
      this.lastEventT = snap.lastEventT ?? Number.NaN;
    } catch (e) {
      throw new FeatureStateError('SS_FEATURE_STATE_CORRUPT', `snapshot unreadable (${(e as Error).message}); starting without it`);
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

    const vendor = this.vendorOf(ev);
    let dev = this.devices.get(ev.device);
    if (dev === undefined) {
      dev = {
        window: new SlidingWindow(o.windowMs, o.deviceWindowCapacity),
        types: new DecayingCounts(N_TYPES, o.memoryHalfLifeMs),
        hours: new DecayingCounts(24, o.memoryHalfLifeMs),
        recent: new Float64Array(N_TYPES),
        recentT: new Float64Array(N_TYPES),
        firstT: ev.deviceTime,
        lastT: Number.NaN,
      };
      this.devices.set(ev.device, dev);
      kind.devices++;
      if (Number.isNaN(kind.firstT)) kind.firstT = ev.deviceTime;
      if (vendor) {
        vendor.devices++;
        if (Number.isNaN(vendor.firstT)) vendor.firstT = ev.deviceTime;
      }
    }
    let cmp = this.compounds.get(ev.compound);
    if (cmp === undefined) {
      cmp = {
        window: new SlidingWindow(o.windowMs, o.compoundWindowCapacity),
        types: new DecayingCounts(N_TYPES, o.memoryHalfLifeMs),
        hours: new DecayingCounts(24, o.memoryHalfLifeMs),
        alarms: new DecayingCounts(4, o.memoryHalfLifeMs),
        firstT: ev.deviceTime,
        spans: new EntrySpanMemory(o.windowMs, DOOR_TO_LEAVE_MS, MIN_STAY_MS),
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
    cmp.alarms.decayTo(t);
    kind.types.decayTo(t);
    kind.hours.decayTo(t);
    vendor?.types.decayTo(t);
    vendor?.hours.decayTo(t);
    // The prior a device shrinks to: its kind's habits, refined by its vendor's when known (f6).
    const pKindType = this.priorTypeP(kind, vendor, typeIdx);
    const pType = (dev.types.value(typeIdx) + PRIOR_WEIGHT * pKindType) / (dev.types.total + PRIOR_WEIGHT);
    const pKindHourOnly = (kind.hours.value(hour) + 1) / (kind.hours.total + 24);
    const pKindHour = vendor ? (vendor.hours.value(hour) + VENDOR_WEIGHT * pKindHourOnly) / (vendor.hours.total + VENDOR_WEIGHT) : pKindHourOnly;
    const pHour = (dev.hours.value(hour) + PRIOR_WEIGHT * pKindHour) / (dev.hours.total + PRIOR_WEIGHT);
    // Expected events in a window at this hour: the device's decayed count is the integral of its
    // rate under the fading kernel, so divide by the kernel's mass over the device's age.
    // Rate: Gamma–Poisson, the kind's mean rate per device as a prior worth PRIOR_WEIGHT events,
    // so a device never seen before (or the first minutes after a start) expects what its kind
    // does instead of nothing; an old device's own count outweighs the prior.
    const kindOnlyRate = this.ratePerMs(kind.types.total, t - kind.firstT) / Math.max(1, kind.devices);
    // Vendor rate per device, shrunk to the kind's with VENDOR_WEIGHT events of pseudo-data.
    const kindRate = vendor && kindOnlyRate > 0
      ? (vendor.types.total + VENDOR_WEIGHT) / (this.kernelMs(t - vendor.firstT) * Math.max(1, vendor.devices) + VENDOR_WEIGHT / kindOnlyRate)
      : kindOnlyRate;
    const devKernel = this.kernelMs(t - dev.firstT);
    const devRate = kindRate > 0 ? (dev.types.total + PRIOR_WEIGHT) / (devKernel + PRIOR_WEIGHT / kindRate) : dev.types.total / devKernel;
    const expected = devRate * o.windowMs * 24 * pHour;
    const pCmpType = (cmp.types.value(typeIdx) + PRIOR_WEIGHT * pKindType) / (cmp.types.total + PRIOR_WEIGHT);
    const pCmpHour = (cmp.hours.value(hour) + PRIOR_WEIGHT * pKindHour) / (cmp.hours.total + PRIOR_WEIGHT);
    const cmpHourShare = 24 * pCmpHour;
    // The compound's fading kernel, once for its four expectations (rate per ms × window, as `ratePerMs` computes it).
    const cmpKernel = this.kernelMs(t - cmp.firstT);
    const cmpExpected = (cmp.types.total / cmpKernel) * o.windowMs * cmpHourShare;
    const cmpAlarmsExpected = (cmp.alarms.value(0) / cmpKernel) * o.windowMs * cmpHourShare;
    const cmpRareExpected = (cmp.alarms.value(1) / cmpKernel) * o.windowMs * cmpHourShare;
    const cmpDenialsExpected = (cmp.alarms.value(2) / cmpKernel) * o.windowMs * cmpHourShare;

    const typeSurprise = Math.min(MAX_SURPRISE, -Math.log(pType));
    const cred = credentialOf(ev.attributes);
    const routine = ROUTINE_TYPES.has(ev.type);
    const rare = !routine && typeSurprise > RARE_SURPRISE;
    const denial = DENIAL_TYPES.has(ev.type);
    const flags = (routine ? ROUTINE : 0) | (denial ? DENIAL : 0) | (GRANT_TYPES.has(ev.type) ? GRANT : 0) | (rare ? RARE : 0);
    dev.window.add(t, flags, typeIdx, ev.device, cred);
    cmp.window.add(t, flags, typeIdx, ev.device, cred);

    let otherDevices = 0;
    let otherCompound = 0;
    let otherCompoundLong = 0;
    if (cred !== undefined) {
      // Edge-wide, not per compound: one edge serves the compounds of a police station, and a
      // cloned card shows up at a door of another compound.
      const known = this.credentials.get(cred);
      const seen = known ?? [];
      // Distinct other devices among at most CRED_SIGHTINGS sightings: a scan beats a Set's allocation.
      for (let i = 0; i < seen.length; i++) {
        const s = seen[i]!;
        if (s.compound !== ev.compound && t - s.t <= CRED_TRAVEL_MS) otherCompoundLong = 1;
        if (s.device === ev.device || t - s.t > o.windowMs) continue;
        let dup = false;
        for (let j = 0; j < i && !dup; j++) {
          const e = seen[j]!;
          dup = e.device === s.device && e.device !== ev.device && t - e.t <= o.windowMs;
        }
        if (!dup) otherDevices++;
        if (s.compound !== ev.compound) otherCompound = 1;
      }
      seen.push({ device: ev.device, compound: ev.compound, t });
      if (seen.length > CRED_SIGHTINGS) seen.shift();
      // A known credential's list is changed in place and `get` already made it the most recent.
      if (known === undefined) this.credentials.set(cred, seen);
    }

    const w = dev.window;
    const cw = cmp.window;
    const carriedS = openSecondsOf(ev.attributes);
    const openS = typeIdx === HELD_TYPE || typeIdx === CLOSED_TYPE ? heldDoor(dev, typeIdx, doorOf(ev.attributes), t, carriedS) : carriedS;
    const recent = dev.recent[typeIdx]! * Math.exp(-(t - dev.recentT[typeIdx]!) / RECENT_TAU_MS) + 1;
    dev.recent[typeIdx] = recent;
    dev.recentT[typeIdx] = t;
    // Joint rarity of the odd types on this device now (independence: surprises add).
    let rareSurprise = 0;
    for (const ti of w.rareTypes.keys()) {
      const p = (dev.types.value(ti) + PRIOR_WEIGHT * this.priorTypeP(kind, vendor, ti)) / (dev.types.total + PRIOR_WEIGHT);
      rareSurprise += Math.min(MAX_SURPRISE, -Math.log(p));
    }
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
    out[10] = Math.log((cw.rareDevices.size + 1) / (cmpRareExpected + 1));
    out[11] = Math.log1p(openS);
    out[12] = Math.log1p(otherDevices);
    out[13] = typeSurprise;
    out[14] = Math.max(-MAX_SURPRISE, Math.min(MAX_SURPRISE, -Math.log(24 * pHour)));
    out[15] = Math.log((w.count + 1) / (expected + 1));
    out[16] = otherCompoundLong;
    out[17] = Math.log1p(w.alarmTypes.size);
    out[18] = Math.log((cw.alarmDevices.size + 1) / (cmpAlarmsExpected + 1));
    out[19] = Math.log1p(recent);
    out[20] = rareSurprise;
    out[21] = Math.log((cw.deniedCreds.size + 1) / (cmpDenialsExpected + 1));
    out[GROUP_FEATURE] = GROUP_OF.get(ev.kind)?.[typeIdx] ?? 0;
    // f7: a tamper (lens covered, housing opened) followed by lost video on the same device: the
    // device's per-type memory already holds the time of its last tamper (`recentT`), so this
    // needs no new state. Each alone is a daily nuisance; the ordered pair within 10 min was seen
    // 2 times in 376 compound-days of the training and validation cities.
    out[BLIND_AFTER_TAMPER_FEATURE] = typeIdx === VIDEO_LOSS_TYPE && dev.recent[TAMPER_TYPE]! > 0 && t - dev.recentT[TAMPER_TYPE]! <= o.windowMs ? 1 : 0;
    out[ENTRY_SPANS_FORCED_FEATURE] = this.entrySpan(cmp, ev, typeIdx, t);

    // Learn from this event after scoring it.
    dev.types.add(typeIdx);
    dev.hours.add(hour);
    cmp.types.add(typeIdx);
    cmp.hours.add(hour);
    if (!routine) cmp.alarms.add(0);
    if (rare) cmp.alarms.add(1);
    if (denial) cmp.alarms.add(2);
    kind.types.add(typeIdx);
    kind.hours.add(hour);
    vendor?.types.add(typeIdx);
    vendor?.hours.add(hour);
    dev.lastT = t;
    if (!(t <= this.lastEventT)) this.lastEventT = t;
    return out;
  }

  /**
   * f8: feed the compound's entry-span memory; on an intrusion-leave, 1 when an open entry of the
   * same camera region spans a forced door (entry-span.ts) and the compound's measured traffic
   * makes that coincidence rarer than ENTRY_SPAN_CHANCE_MAX a day (forced doors per day × the
   * spans' cover per ms, both over the compound's fading memory, this leave's span not yet in it).
   */
  private entrySpan(cmp: CompoundState, ev: FeatureEvent, typeIdx: number, t: number): number {
    if (typeIdx === FORCED_TYPE) {
      cmp.spans.forced(t);
      return 0;
    }
    if (typeIdx !== ENTER_TYPE && typeIdx !== LEAVE_TYPE) return 0;
    const key = `${ev.device}/${regionOf(ev.attributes)}`;
    if (typeIdx === ENTER_TYPE) {
      cmp.spans.enter(key, t);
      return 0;
    }
    const hit = cmp.spans.leave(key, t);
    const age = t - cmp.firstT;
    const chance = hit
      ? this.ratePerMs(cmp.types.value(FORCED_TYPE), age) * DAY_MS * this.ratePerMs(cmp.alarms.value(COVER_BUCKET) * 60_000, age)
      : 0;
    if (cmp.spans.coverMs > 0) cmp.alarms.add(COVER_BUCKET, cmp.spans.coverMs / 60_000);
    return hit && chance < ENTRY_SPAN_CHANCE_MAX ? 1 : 0;
  }

  private kindTypeP(kind: KindState, typeIdx: number): number {
    return (kind.types.value(typeIdx) + KIND_PSEUDO_COUNT) / (kind.types.total + KIND_PSEUDO_COUNT * N_TYPES);
  }

  /** p(type) of the device's prior: the kind's, refined by the vendor's own counts when known. */
  private priorTypeP(kind: KindState, vendor: KindState | undefined, typeIdx: number): number {
    const pKind = this.kindTypeP(kind, typeIdx);
    if (vendor === undefined) return pKind;
    return (vendor.types.value(typeIdx) + VENDOR_WEIGHT * pKind) / (vendor.types.total + VENDOR_WEIGHT);
  }

  /** The (kind, vendor) prior of an event's device, created on first sight; none without a profile. */
  private vendorOf(ev: FeatureEvent): KindState | undefined {
    const profile = ev.profile ?? this.options.profileOf?.(ev.device);
    if (profile === undefined || profile.length === 0) return undefined;
    const known = this.vendorIndex.get(profile)?.get(ev.kind);
    if (known !== undefined) return known;
    if (this.vendors.size >= MAX_VENDORS) return undefined;
    const v: KindState = { types: new DecayingCounts(N_TYPES, this.options.memoryHalfLifeMs), hours: new DecayingCounts(24, this.options.memoryHalfLifeMs), devices: 0, firstT: Number.NaN };
    this.vendors.set(`${ev.kind}/${profile}`, v);
    this.indexVendor(profile, ev.kind, v);
    return v;
  }

  private indexVendor(profile: string, kind: string, v: KindState): void {
    let byKind = this.vendorIndex.get(profile);
    if (byKind === undefined) this.vendorIndex.set(profile, (byKind = new Map()));
    byKind.set(kind, v);
  }

  /** Mass (ms) of the fading kernel over an age of `ageMs` (at least one window). */
  private kernelMs(ageMs: number): number {
    const o = this.options;
    const age = Math.max(Number.isFinite(ageMs) ? ageMs : 0, o.windowMs);
    return (o.memoryHalfLifeMs / Math.LN2) * (1 - Math.pow(2, -age / o.memoryHalfLifeMs));
  }

  private ratePerMs(decayedTotal: number, ageMs: number): number {
    return decayedTotal / this.kernelMs(ageMs);
  }
}

/**
 * A feature extractor's memory as plain data (JSON-safe), so an edge restart does not start every
 * device from nothing (issue 15: a restart blinded every device for its learning period). Types
 * are stored by index: FEATURE_VERSION pins the type order, and a snapshot of another feature
 * version, layout or window setting is refused rather than misread.
 */
export const FEATURE_STATE_VERSION = 5; // 2: vendor priors (f6); 3: compound entry-span memory (f8); 4: open held-door alarms (f9); 5: measured entry-span cover (f10)

/** f9: doors per device whose open held-open alarms are remembered (multi-door controllers). */
const MAX_HELD_DOORS = 8;
/**
 * f9: an alarm older than this dates no close. A close that late more likely follows a close the
 * edge never got (a lost or refused message) than a door that stood open for hours; the alarm
 * itself was on the console all along. The simulated holds are at most 30 min.
 */
const MAX_HELD_MS = 2 * 3_600_000;

/** The door an access event names (Hik `doorNo`, the simulators' `door`, else its reader), '' if none. */
function doorOf(attrs: Record<string, unknown>): string {
  const v = attrs['door'] ?? attrs['reader'];
  return typeof v === 'number' || (typeof v === 'string' && v.length > 0) ? String(v) : '';
}

/**
 * f9: how long a door stood open, read when its contact closes (`door-closed`): the seconds since
 * the held-open alarm of the same door of the device (else 0: a close with no alarm open is an
 * ordinary passage; Hikvision reports every close). Neither vendor's alarm carries the duration
 * when it starts (it cannot know it), so this is the edge's only measure of a long hold. A
 * repeated alarm of a door still open keeps the first one's time. The open alarms are part of
 * the snapshot (FEATURE_STATE_VERSION 4), so an alarm raised before a restart still dates a close
 * after it. A payload's own duration (some Dahua firmware sends `Duration`) wins when present.
 */
function heldDoor(dev: DeviceState, typeIdx: number, door: string, t: number, carriedS: number): number {
  const held = (dev.held ??= []);
  const i = held.findIndex(([d]) => d === door);
  let heldAt: number | undefined;
  if (typeIdx === HELD_TYPE) {
    if (i < 0) held.push([door, t]);
    if (held.length > MAX_HELD_DOORS) held.shift();
  } else if (i >= 0) {
    heldAt = held.splice(i, 1)[0]![1];
  }
  if (held.length === 0) delete dev.held;
  if (carriedS > 0 || heldAt === undefined) return carriedS;
  const ms = t - heldAt;
  return ms >= 0 && ms <= MAX_HELD_MS ? ms / 1000 : 0;
}

type Counts = ReturnType<DecayingCounts['save']>;
/** [t, flags (routine 1 | denial 2 | grant 4 | rare 8), type index, device, credential or null] */
type EntryTuple = [number, number, number, string, string | null];
interface DeviceSnap { w: EntryTuple[]; types: Counts; hours: Counts; recent: number[]; recentT: number[]; firstT: number; lastT: number | null; held?: [string, number][] }
interface CompoundSnap { w: EntryTuple[]; types: Counts; hours: Counts; alarms: Counts; firstT: number; spans: EntrySpanSnap }
interface KindSnap { types: Counts; hours: Counts; devices: number; firstT: number | null }

export interface FeatureSnapshot {
  format: 'safestar-feature-state';
  version: number;
  featureVersion: string;
  types: number;
  options: Pick<FeatureOptions, 'tzOffsetMinutes' | 'windowMs' | 'memoryHalfLifeMs'>;
  /** Device time of the newest event in the snapshot. */
  lastEventT: number | null;
  devices: [string, DeviceSnap][];
  compounds: [string, CompoundSnap][];
  credentials: [string, [string, string, number][]][];
  kinds: [DeviceKind, KindSnap][];
  /** f6: the (kind, vendor profile) priors, key `${kind}/${profile}`. */
  vendors: [string, KindSnap][];
}

/**
 * A snapshot tuple (written by SlidingWindow.tuples(), the same flag bits) back into its window.
 * A type index outside the catalogue is a corrupt snapshot (it would also size the type counts).
 */
function restoreEntry(w: SlidingWindow, [t, flags, type, device, cred]: EntryTuple): void {
  if (!Number.isInteger(type) || type < 0 || type >= N_TYPES) throw new Error(`window entry of type ${String(type)}`);
  w.add(t, flags, type, device, cred ?? undefined);
}
const nanToNull = (v: number): number | null => (Number.isNaN(v) ? null : v);
function* mapIter<T, U>(items: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const t of items) yield f(t);
}

// One entry of each snapshot list, shared by snapshot() and snapshotChunks() so both say the same.
const deviceEntry = ([id, d]: [string, DeviceState]): [string, DeviceSnap] => [id, {
  w: d.window.tuples(), types: d.types.save(), hours: d.hours.save(),
  recent: Array.from(d.recent), recentT: Array.from(d.recentT), firstT: d.firstT, lastT: nanToNull(d.lastT),
  ...(d.held ? { held: d.held.map(([door, at]) => [door, at] as [string, number]) } : {}),
}];
const compoundEntry = ([id, c]: [string, CompoundState]): [string, CompoundSnap] => [id, { w: c.window.tuples(), types: c.types.save(), hours: c.hours.save(), alarms: c.alarms.save(), firstT: c.firstT, spans: c.spans.save() }];
const credentialEntry = ([cred, seen]: [string, Sighting[]]): [string, [string, string, number][]] => [cred, seen.map((s) => [s.device, s.compound, s.t] as [string, string, number])];
const priorEntry = <K>([k, s]: [K, KindState]): [K, KindSnap] => [k, { types: s.types.save(), hours: s.hours.save(), devices: s.devices, firstT: nanToNull(s.firstT) }];

/** Why a snapshot cannot be used (stable codes; the caller starts cold and says so). */
export class FeatureStateError extends Error {
  constructor(readonly code: 'SS_FEATURE_STATE_VERSION' | 'SS_FEATURE_STATE_OPTIONS' | 'SS_FEATURE_STATE_CORRUPT', message: string) {
    super(`${code}: ${message}`);
  }
}

export function snapshotFeatures(fx: FeatureExtractor): FeatureSnapshot {
  return fx.snapshot();
}
