import type { DeviceChannel } from '../../protocol/topics.ts';
import type { EventType } from '../../protocol/devices.ts';
import type { Attributes, BadKind, IntentEvent } from '../vendors/types.ts';

export const SCENARIO_NAMES = [
  'burglary-night', 'tailgating-burst', 'card-cloning', 'blacklisted-plate', 'loitering', 'door-held-open',
  'offline-storm', 'tamper', 'flapping-device',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** How a planned message travels. `drop` = cut the connection so the broker sends the Last Will. */
export type Action = 'publish' | 'drop' | 'connect';

/** A message a scenario or bad-traffic plan wants sent at an absolute time. */
export interface PlannedMessage {
  at: number;
  device: string;
  /** Needed when the device is not in the city (unknown-device traffic). */
  compound?: string;
  channel: DeviceChannel;
  events: IntentEvent[];
  marker?: 'end' | 'inactive';
  markerOf?: EventType;
  meta?: Attributes;
  truthId: string;
  action?: Action;
  /** Bad traffic: raw bytes instead of the vendor encoding, and how they are sent. */
  raw?: {
    payload: string | Buffer;
    topic?: string;
    bad: BadKind;
    /** Foreign credentials (unknown device). */
    credentials?: { username: string; password: string };
    /** Send on a separate probe connection (client id `{device}.probe`, the device's password). */
    separate?: boolean;
  };
}

/** One line of the ground-truth JSONL (`--truth FILE`). */
export interface TruthRecord {
  id: string;
  scenario: ScenarioName | `bad-${BadKind}`;
  compound: string;
  devices: string[];
  start: number;
  end: number;
  /** What the edge should make of it: events to store, or dead letters / refusals. */
  expect?: { events?: number; deadLetters?: number; refused?: number };
  notes?: string;
}

export interface ScenarioPlan {
  truth: TruthRecord[];
  messages: PlannedMessage[];
  /** Devices silent (no traffic) in [from, to): offline storms, flapping. */
  silences: { device: string; from: number; to: number }[];
}

/** Which scenario, where and when; omitted fields are drawn from the seed. */
export interface ScenarioSpec {
  scenario: ScenarioName;
  compound?: string;
  /** Absolute start (epoch ms). */
  at?: number;
  /** Start relative to the run's start (ms), when `at` is not given. */
  afterMs?: number;
}

export interface BadSpec {
  bad: BadKind;
  compound?: string;
  at?: number;
  afterMs?: number;
  /** Repetitions (floods, duplicates); default per kind. */
  count?: number;
}
