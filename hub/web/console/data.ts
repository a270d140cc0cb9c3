/**
 * What the operator console shows, shaped from the engine's and the hub's state. Pure: the
 * routes fetch, these functions shape (and are tested without a hub).
 */
import type { AlarmRow } from '../../cases/store.ts';
import type { CompoundRating } from '../../rating/types.ts';

const DAY_MS = 86_400_000;

/** Start of the city's local day (policy zone, e.g. +08:00) that holds `now`. */
export function localDayStart(now: number, offsetMinutes: number): number {
  const off = offsetMinutes * 60_000;
  return Math.floor((now + off) / DAY_MS) * DAY_MS - off;
}

export interface DistrictGlance {
  id: string;
  name: string;
  compounds: number;
  unrated: number;
  /** Compounds per star value 0..5. */
  byStars: number[];
}

export function starsByDistrict(ratings: readonly Pick<CompoundRating, 'district' | 'stars'>[], names: ReadonlyMap<string, string>): { districts: DistrictGlance[]; total: DistrictGlance } {
  const make = (id: string, name: string): DistrictGlance => ({ id, name, compounds: 0, unrated: 0, byStars: [0, 0, 0, 0, 0, 0] });
  const by = new Map<string, DistrictGlance>();
  const total = make('all', 'all');
  for (const r of ratings) {
    let d = by.get(r.district);
    if (!d) by.set(r.district, (d = make(r.district, names.get(r.district) ?? r.district)));
    for (const g of [d, total]) {
      g.compounds++;
      if (r.stars === null) g.unrated++;
      else g.byStars[Math.max(0, Math.min(5, Math.round(r.stars)))]!++;
    }
  }
  return { districts: [...by.values()].sort((a, b) => a.id.localeCompare(b.id)), total };
}

export interface StarChange {
  compound: string;
  fromStars: number | null;
  toStars: number | null;
}

/** Today's star changes: how many went up, down, or were first rated / became unrated. */
export function changeCounts(changes: readonly StarChange[]): { up: number; down: number; other: number } {
  let up = 0;
  let down = 0;
  let other = 0;
  for (const c of changes) {
    if (c.fromStars === null || c.toStars === null) other++;
    else if (c.toStars > c.fromStars) up++;
    else if (c.toStars < c.fromStars) down++;
  }
  return { up, down, other };
}

export interface DeviceStatus {
  id: string;
  compound: string;
  lastSeen: number | null;
  online: boolean;
}

export interface EdgeView {
  id: string;
  /** null: this process does not hold the edges' connections (cluster worker), so it cannot say. */
  connected: boolean | null;
  since: number | null;
  compounds: number;
  devices: number;
  devicesOffline: number;
}

export type RootCause =
  | { cause: 'edge-offline'; edge: string; devices: number; compounds: string[]; since: number | null }
  | { cause: 'devices-offline'; compound: string; edge: string | null; devices: string[] };

/**
 * Edges and devices with root-cause grouping: when an edge is offline every device behind it is
 * unreachable, and that is one problem ("edge X offline, N devices"), not N device alarms. Only
 * devices that are offline while their edge is up are listed per compound. A device never heard
 * from is counted apart (it may not be installed yet), never as offline. `edges` null: the edges'
 * connection states are unknown here (a cluster worker; ingress processes hold the connections),
 * so nothing is grouped as "edge offline" and each device counts by its own last-seen time.
 */
export function rootCauses(
  devices: readonly DeviceStatus[],
  edges: readonly { id: string; connected: boolean; since: number | null }[] | null,
  issued: readonly { id: string; compounds: ReadonlySet<string> }[],
): { edges: EdgeView[]; causes: RootCause[]; totals: { devices: number; online: number; offline: number; unreachable: number; neverHeard: number } } {
  const edgeOfCompound = new Map<string, string>();
  for (const e of issued) for (const c of e.compounds) edgeOfCompound.set(c, e.id);
  const state = new Map((edges ?? []).map((e) => [e.id, e]));
  const ids = [...new Set([...issued.map((e) => e.id), ...(edges ?? []).map((e) => e.id)])].sort();
  const views = new Map<string, EdgeView>(ids.map((id) => [id, {
    id,
    connected: edges === null ? null : state.get(id)?.connected ?? false,
    since: state.get(id)?.since ?? null,
    compounds: issued.find((e) => e.id === id)?.compounds.size ?? 0,
    devices: 0,
    devicesOffline: 0,
  }]));
  const totals = { devices: devices.length, online: 0, offline: 0, unreachable: 0, neverHeard: 0 };
  const down = new Map<string, { devices: number; compounds: Set<string> }>();
  const perCompound = new Map<string, string[]>();
  for (const d of devices) {
    const edge = edgeOfCompound.get(d.compound);
    const v = edge ? views.get(edge) : undefined;
    if (v) v.devices++;
    if (v && v.connected === false) {
      totals.unreachable++;
      v.devicesOffline++;
      const g = down.get(v.id) ?? { devices: 0, compounds: new Set<string>() };
      g.devices++;
      g.compounds.add(d.compound);
      down.set(v.id, g);
      continue;
    }
    if (d.lastSeen === null) totals.neverHeard++;
    else if (d.online) totals.online++;
    else {
      totals.offline++;
      if (v) v.devicesOffline++;
      const list = perCompound.get(d.compound) ?? [];
      list.push(d.id);
      perCompound.set(d.compound, list);
    }
  }
  const causes: RootCause[] = [
    ...[...down].map(([edge, g]): RootCause => ({ cause: 'edge-offline', edge, devices: g.devices, compounds: [...g.compounds].sort(), since: views.get(edge)?.since ?? null })),
    ...[...perCompound].map(([compound, list]): RootCause => ({ cause: 'devices-offline', compound, edge: edgeOfCompound.get(compound) ?? null, devices: list.sort() })),
  ].sort((a, b) => (b.cause === 'edge-offline' ? b.devices : b.devices.length) - (a.cause === 'edge-offline' ? a.devices : a.devices.length));
  return { edges: [...views.values()], causes, totals };
}

/** The edge's anomaly score stored with an alarm (null: not scored, e.g. the scorer was off). */
export function alarmScore(a: AlarmRow): { value: number; threshold: number; model: string; anomalous: boolean } | null {
  if (!a.score) return null;
  try {
    const s = JSON.parse(a.score) as Record<string, unknown>;
    return typeof s['value'] === 'number' && typeof s['threshold'] === 'number'
      ? { value: s['value'], threshold: s['threshold'], model: typeof s['model'] === 'string' ? s['model'] : '', anomalous: s['anomalous'] === true }
      : null;
  } catch {
    return null;
  }
}

export interface AlarmEvidence {
  /** Other alarms of the same compound close in time (a fence cut, then a camera, then a door). */
  related: { id: string; device: string; type: string; occurredAt: number; status: string }[];
  device: { id: string; online: boolean; lastSeen: number | null } | null;
  compound: { id: string; name: string; district: string; stars: number | null; index: number } | null;
}

/** Alarms of the same compound within `windowMs` of this one, nearest first. */
export function relatedAlarms(alarm: AlarmRow, sameCompound: readonly AlarmRow[], windowMs: number, max = 10): AlarmEvidence['related'] {
  return sameCompound
    .filter((a) => a.id !== alarm.id && Math.abs(a.occurred_at - alarm.occurred_at) <= windowMs)
    .sort((a, b) => Math.abs(a.occurred_at - alarm.occurred_at) - Math.abs(b.occurred_at - alarm.occurred_at))
    .slice(0, max)
    .map((a) => ({ id: a.id, device: a.device, type: a.type, occurredAt: a.occurred_at, status: a.status }));
}
