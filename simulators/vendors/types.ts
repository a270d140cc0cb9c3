import type { DeviceChannel } from '../../protocol/topics.ts';
import type { DeviceKind, EventType, Severity } from '../../protocol/devices.ts';
import type { VendorProfile } from '../../protocol/vendors.ts';

export type Attributes = Record<string, string | number | boolean>;

/**
 * One canonical event a message stands for. Attribute names follow VENDORS.md where it names them
 * (card, person, employee, plate, reason, method); the rest are ours: door, lane, zone, direction,
 * plateColor, confidence (0..1), durationS, count, voltageKv, region, peopleCount.
 */
export interface IntentEvent {
  type: EventType;
  severity: Severity;
  attributes: Attributes;
}

/** Labels of bad traffic sent on purpose (each also gets a ground-truth record). */
export const BAD_KINDS = [
  'malformed-json', 'wrong-types', 'oversized', 'unknown-device', 'wrong-topic', 'flood', 'duplicate',
] as const;
export type BadKind = (typeof BAD_KINDS)[number];

/**
 * What a device means to say, before the vendor encoding: the canonical kind/type/attributes.
 * `time` is true time; `deviceTime` is what the (possibly drifting) device clock says.
 */
export interface Intent {
  kind: DeviceKind;
  channel: DeviceChannel;
  time: number;
  deviceTime: number;
  /** Canonical events the edge should produce from this message; [] for markers. */
  events: IntentEvent[];
  /**
   * Messages standing for no event: a Dahua `Action: Stop` end marker, a Hikvision `inactive`
   * pulse. `online`/`offline` ride the state channel and are events.
   */
  marker?: 'end' | 'inactive';
  /** For markers: the event type the marker ends / pulses (e.g. the Dahua alarm code to stop). */
  markerOf?: EventType;
  /** Ground truth and encoding hints the canonical events do not carry (openS, variant…). */
  meta?: Attributes;
  /** Set on bad traffic: the edge should dead-letter or refuse it. */
  bad?: BadKind;
}

export interface EncodeContext {
  device: { id: string; kind: DeviceKind; profile: VendorProfile; zone?: number };
  compound: { id: string; lat: number; lon: number };
  /** Per-device message counter (serial numbers, record numbers). */
  seq: number;
  /** Site time zone offset in minutes (Xiamen: +480). */
  tzOffsetMinutes: number;
}

export interface Encoded {
  payload: Buffer | string;
  /** How many canonical events the edge should produce from it (VENDORS.md). */
  expectedEvents: number;
}

export interface ProfileEncoder {
  profile: VendorProfile;
  kind: DeviceKind;
  /** Event types this profile can carry on the events channel. */
  supports: ReadonlySet<EventType>;
  /** True when one payload can carry several events (Gallagher zones, HikCentral batches). */
  multi: boolean;
  /** Severity this profile's codec will give the type (VENDORS.md defaults, GB priority…). */
  severity(type: EventType): Severity;
  encode(intent: Intent, ctx: EncodeContext): Encoded;
}
