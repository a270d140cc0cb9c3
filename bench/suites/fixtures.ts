import { hashPassword } from '../../common/password.ts';
import { generateCity } from '../../simulators/city.ts';
import { siteConfigForCity } from '../../simulators/site-config.ts';
import { generateTraffic } from '../../simulators/traffic.ts';
import { BEHAVIOURS } from '../../simulators/devices/index.ts';
import { encoderFor } from '../../simulators/vendors/index.ts';
import type { City } from '../../protocol/city.ts';
import type { SiteConfig } from '../../protocol/site.ts';
import type { Intent } from '../../simulators/vendors/index.ts';
import type { LoadClient } from '../loadgen/protocol.ts';

export interface BenchSite {
  city: City;
  config: SiteConfig;
  clients: LoadClient[];
}

/**
 * A site with `devices` devices and realistic vendor payloads for each (from the simulators'
 * pure traffic generator) for the load generator. Only messages that stand for exactly one
 * canonical event are kept, so "events" and "messages" are the same count in the benchmark.
 * Each client carries its `payloadsPerDevice` messages and, by default (`fresh`, true), their
 * intents, from which the load generator makes fresh distinct messages once those are sent
 * (loadgen/fresh.ts): no device ever repeats a message, whatever the run's length or rate.
 */
export function benchSite(opts: { devices: number; edgeId: string; hubUrl: string; dataDir: string; seed?: number; payloadsPerDevice?: number; busyEvery?: number; fresh?: boolean }): BenchSite {
  const seed = opts.seed ?? 7;
  // ~25 devices per compound on average: grow the city until it has enough devices.
  let compounds = Math.max(1, Math.ceil(opts.devices / 20));
  let city = generateCity({ compounds, seed });
  while (city.compounds.reduce((n, c) => n + c.devices.length, 0) < opts.devices) {
    compounds = Math.ceil(compounds * 1.3);
    city = generateCity({ compounds, seed });
  }
  const chosen: string[] = [];
  let left = opts.devices;
  for (const c of city.compounds) {
    if (left <= 0) break;
    chosen.push(c.id);
    left -= c.devices.length;
  }
  // One shared password and one scrypt hash for every device: hashing 5,000 distinct passwords
  // would take the setup ~80 s. The edge still verifies each device's password on its CONNECT.
  const shared = 'bench-device-password';
  const sharedHash = hashPassword(shared);
  const kit = siteConfigForCity(city, { edgeId: opts.edgeId, compoundIds: chosen, hubUrl: opts.hubUrl, dataDir: opts.dataDir, hash: () => sharedHash });
  for (const id of Object.keys(kit.passwords)) kit.passwords[id] = shared;
  const keep = new Set(kit.config.devices.slice(0, opts.devices).map((d) => d.id));
  const config: SiteConfig = {
    ...kit.config,
    devices: kit.config.devices.filter((d) => keep.has(d.id)),
    // The benchmark pushes each device far past a real device's rate on purpose.
    broker: { ...kit.config.broker, maxMessagesPerDevicePerSecond: 1_000_000, maxConnections: opts.devices + 100 },
    outbox: { maxEvents: Math.max(kit.config.outbox.maxEvents, 2_000_000) },
  };
  const want = opts.payloadsPerDevice ?? 50;
  const byDevice = new Map<string, { topic: string; payloads: string[]; intents: Intent[] }>();
  const traffic = generateTraffic({
    city, compoundIds: chosen, seed, startMs: Date.UTC(2026, 10, 29, 0, 0, 0), ratePerSecond: opts.devices * 5,
    rhythm: 'flat', heartbeats: false, states: false, durationMs: Math.ceil((want * 1.5) / 5) * 1000,
  });
  for (const item of traffic) {
    if (!keep.has(item.device) || item.channel !== 'events' || item.expectedEvents !== 1 || item.bad) continue;
    const slot = byDevice.get(item.device) ?? { topic: item.topic, payloads: [], intents: [] };
    if (slot.payloads.length < want) {
      slot.payloads.push(item.payload.toString());
      slot.intents.push(item.intent);
    }
    byDevice.set(item.device, slot);
  }
  const cityDevices = new Map<string, { device: City['compounds'][number]['devices'][number]; compound: City['compounds'][number] }>();
  for (const compound of city.compounds) for (const device of compound.devices) cityDevices.set(device.id, { device, compound });
  const fresh = opts.fresh ?? true;
  const clients: LoadClient[] = [];
  for (const d of config.devices) {
    const slot = byDevice.get(d.id);
    const at = cityDevices.get(d.id);
    if (!slot || slot.payloads.length === 0 || !at) continue;
    const { device, compound } = at;
    clients.push({
      clientId: d.id, username: d.id, password: kit.passwords[d.id], topic: slot.topic, payloads: slot.payloads,
      ...(fresh
        ? {
            fresh: {
              ctx: {
                device: { id: device.id, kind: device.kind, profile: device.profile, ...(device.zone !== undefined ? { zone: device.zone } : {}) },
                compound: { id: compound.id, lat: compound.lat, lon: compound.lon },
                tzOffsetMinutes: TZ_OFFSET_MINUTES,
              },
              intents: slot.intents,
            },
          }
        : {}),
    });
  }
  return { city, config, clients: cityShape(city, clients, opts.busyEvery ?? BUSY_EVERY) };
}

/** The traffic generator's default site time zone (Xiamen), which encoded the first cycle. */
const TZ_OFFSET_MINUTES = 480;

/** One device in this many is busy (closed loop, as fast as acks allow); the rest run at real rates. */
export const BUSY_EVERY = 10;

/**
 * The load shape of a real site: most devices at the rate the simulators give their kind
 * (access doors, barriers, fences and cameras each at their weekly mean), and every `busyEvery`-th
 * device busy, publishing as fast as its acknowledgement window allows; those carry the throughput
 * figure. `busyEvery` 1 makes every device busy.
 */
export function cityShape(city: City, clients: readonly LoadClient[], busyEvery: number): LoadClient[] {
  const where = new Map<string, { compound: City['compounds'][number]; device: City['compounds'][number]['devices'][number] }>();
  for (const compound of city.compounds) for (const device of compound.devices) where.set(device.id, { compound, device });
  return clients.map((c, i) => {
    if (i % busyEvery === 0) return c;
    const w = where.get(c.clientId);
    if (!w) return c;
    const siblings = w.compound.devices.filter((d) => d.kind === w.device.kind).length;
    const perHour = BEHAVIOURS[w.device.kind].ratePerHour({ device: w.device, compound: w.compound, encoder: encoderFor(w.device.profile), siblings });
    return { ...c, ratePerSecond: Math.max(perHour / 3600, 1 / 600) };
  });
}
