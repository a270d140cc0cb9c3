import type { Event } from '../../protocol/event.ts';

/**
 * The events of the proof's edge fleet, as a pure function of (edge, seq) and the run's start
 * time and per-edge rate: the fleet writes exactly these into its outboxes, and the test rebuilds
 * every PUBACKed event from its id for the single-hub replay (so the replay gets the same inputs
 * without shipping 600,000 events back from the child process).
 */
export interface FleetPlan {
  t0: number;
  perEdgeRate: number;
  devices: number;
}

export function edgeCompound(n: number): string {
  return `c${String(n).padStart(4, '0')}`;
}

export function districtOf(n: number): string {
  return `d${n % 4}`;
}

export function fleetEvent(p: FleetPlan, n: number, s: number): Event {
  const compound = edgeCompound(n);
  const t = p.t0 + Math.floor((s * 1000) / p.perEdgeRate);
  const alarm = s % 97 === 0;
  return {
    v: 1, id: `edge-${n}.${s}`, deviceTime: t, receivedAt: t, district: districtOf(n), compound, edge: `edge-${n}`, device: `${compound}-d${s % p.devices}`,
    kind: 'fence', type: alarm ? 'fence-alarm' : 'heartbeat', severity: alarm ? 'major' : 'info', attributes: {},
  } as Event;
}

