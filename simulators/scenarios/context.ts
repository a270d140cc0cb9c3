import type { City, CityCompound, CityDevice } from '../../protocol/city.ts';
import type { DeviceKind, EventType } from '../../protocol/devices.ts';
import type { Rng } from '../random.ts';
import { encoderFor, type Attributes, type IntentEvent } from '../vendors/index.ts';
import type { PlannedMessage, ScenarioName, TruthRecord } from './types.ts';

/** What a scenario builder gets: where, when, a seeded stream, and helpers to emit messages. */
export class ScenarioContext {
  readonly messages: PlannedMessage[] = [];
  readonly silences: { device: string; from: number; to: number }[] = [];
  private readonly used = new Set<string>();

  constructor(
    readonly id: string,
    readonly scenario: ScenarioName,
    readonly city: City,
    readonly compound: CityCompound,
    readonly at: number,
    readonly rng: Rng,
    /** Other compounds of the run (card cloning uses a far door). */
    readonly others: readonly CityCompound[],
  ) {}

  devicesOf(kind: DeviceKind, supporting?: EventType, compound: CityCompound = this.compound): CityDevice[] {
    return compound.devices.filter((d) => d.kind === kind && (!supporting || encoderFor(d.profile).supports.has(supporting)));
  }

  /** A device of the kind (preferring one whose profile carries `type`). */
  device(kind: DeviceKind, type?: EventType, compound: CityCompound = this.compound): CityDevice {
    const fit = type ? this.devicesOf(kind, type, compound) : [];
    const pool = fit.length > 0 ? fit : this.devicesOf(kind, undefined, compound);
    return this.rng.pick(pool);
  }

  event(device: CityDevice, type: EventType, attributes: Attributes): IntentEvent {
    return { type, severity: encoderFor(device.profile).severity(type), attributes };
  }

  /** Send one canonical event from a device at `at`. */
  emit(device: CityDevice, at: number, type: EventType, attributes: Attributes, meta?: Attributes): void {
    this.used.add(device.id);
    this.messages.push({ at: Math.round(at), device: device.id, channel: 'events', events: [this.event(device, type, attributes)], truthId: this.id, ...(meta ? { meta } : {}) });
  }

  marker(device: CityDevice, at: number, markerOf: EventType): void {
    this.messages.push({ at: Math.round(at), device: device.id, channel: 'events', events: [], marker: 'end', markerOf, truthId: this.id });
  }

  /** Cut the device's link at `from` (the broker sends its Will) and bring it back at `to`. */
  outage(device: CityDevice, from: number, to: number): void {
    this.used.add(device.id);
    this.messages.push({ at: Math.round(from), device: device.id, channel: 'state', events: [], action: 'drop', truthId: this.id });
    this.messages.push({ at: Math.round(to), device: device.id, channel: 'state', events: [], action: 'connect', truthId: this.id });
    // Silent a little past `to` so nothing of the device's own traffic races its reconnect.
    this.silences.push({ device: device.id, from: Math.round(from), to: Math.round(to) });
  }

  truth(notes?: string): TruthRecord {
    const times = this.messages.map((m) => m.at);
    // Drops and reconnects each make one state event (offline from the Will, online).
    const events = this.messages.reduce((n, m) => n + (m.action === 'drop' || m.action === 'connect' ? 1 : m.events.length), 0);
    return {
      id: this.id,
      scenario: this.scenario,
      compound: this.compound.id,
      devices: [...this.used].sort(),
      start: Math.min(...times),
      end: Math.max(...times),
      expect: { events },
      ...(notes ? { notes } : {}),
    };
  }
}
