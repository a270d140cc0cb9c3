/**
 * Device kinds and the canonical event types each kind may emit (DOMAIN.md, "Device events").
 * Types shared by every device come last. Names are kebab-case and stable: they are InfluxDB tag
 * values and dashboard filters, so renaming one is a breaking change of Event v1.
 */
export const DEVICE_KINDS = ['access', 'barrier', 'fence', 'camera'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export const COMMON_EVENT_TYPES = ['heartbeat', 'online', 'offline', 'tamper', 'fault'] as const;

export const EVENT_TYPES_BY_KIND = {
  access: [
    'granted', 'denied', 'repeated-denied', 'door-forced', 'door-held', 'tailgating',
    'anti-passback', 'duress',
    // The door contact closing after a held-open alarm: the alarm's end, the only way an edge
    // learns how long the door stood open (neither vendor's alarm says so when it starts).
    'door-closed',
  ],
  barrier: ['plate-read', 'blacklist-hit', 'unknown-vehicle', 'gate-open', 'gate-close', 'gate-fault'],
  fence: ['fence-alarm', 'wire-cut', 'short-circuit', 'power-loss', 'link-loss', 'arm', 'disarm'],
  camera: [
    'motion', 'line-crossing', 'intrusion-enter', 'intrusion-leave', 'loitering', 'crowd-density',
    'video-loss', 'disk-fault',
  ],
} as const satisfies Record<DeviceKind, readonly string[]>;

export type KindEventType = (typeof EVENT_TYPES_BY_KIND)[DeviceKind][number];
export type EventType = KindEventType | (typeof COMMON_EVENT_TYPES)[number];

export const ALL_EVENT_TYPES: readonly EventType[] = [
  ...new Set<EventType>([...Object.values(EVENT_TYPES_BY_KIND).flat(), ...COMMON_EVENT_TYPES]),
];

const allowed = new Map<DeviceKind, ReadonlySet<string>>(
  DEVICE_KINDS.map((k) => [k, new Set<string>([...EVENT_TYPES_BY_KIND[k], ...COMMON_EVENT_TYPES])]),
);

export function isEventTypeOfKind(kind: DeviceKind, type: string): type is EventType {
  return allowed.get(kind)?.has(type) ?? false;
}

/**
 * Severity, from quiet to loud. GB/T 28181 numbers alarm priority 1 (highest) to 4 (lowest);
 * we use words so nobody has to remember which end is up: priority 1 → critical … 4 → warning.
 */
export const SEVERITIES = ['info', 'warning', 'minor', 'major', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityFromGbPriority(priority: number): Severity {
  switch (priority) {
    case 1: return 'critical';
    case 2: return 'major';
    case 3: return 'minor';
    case 4: return 'warning';
    default: return 'info';
  }
}

/**
 * Life-safety events are never dropped by a full outbox and always go first (ARCHITECTURE.md,
 * issue 4): duress, a forced door, a cut fence wire, plus intrusion at night is decided by rules.
 */
export const LIFE_SAFETY_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  'duress', 'door-forced', 'wire-cut', 'short-circuit', 'fence-alarm', 'intrusion-enter',
]);
