import type { TruthRecord } from './scenarios/types.ts';
import type { TrafficItem } from './traffic.ts';
import type { BadKind } from './vendors/types.ts';

/** What runSimulation reports, and the one place its counters are bumped. */
export interface SimProgress {
  elapsedMs: number;
  sent: number;
  acked: number;
  errors: number;
  expectedEvents: number;
  /** Acked messages per second over the last interval. */
  rate: number;
  connected: number;
}

export interface BadOutcome {
  sent: number;
  acked: number;
  refused: number;
  errors: number;
}

export interface SimReport {
  /** Messages published (attempted), including `online`. */
  sent: number;
  /** Messages PUBACKed. */
  acked: number;
  /** Publishes that failed or stayed unacknowledged, and devices that could not connect. */
  errors: number;
  /** Events the edge should produce from what was acknowledged (+ Last Wills triggered). */
  expectedEvents: number;
  /** Acknowledged canonical events by type. */
  byType: Record<string, number>;
  byChannel: Record<string, number>;
  byDevice?: Record<string, number>;
  devices: number;
  connectFailures: { device: string; code: string; reason: string }[];
  willsTriggered: number;
  /**
   * Connections the broker closed on its own (the broker then sends the device's Will, an
   * `offline` event not in expectedEvents). 0 in a healthy run.
   */
  lostConnections: number;
  /** Bad traffic sent on purpose, by kind (excluded from expectedEvents). */
  bad: Partial<Record<BadKind, BadOutcome>>;
  /** Things that may make the numbers surprising (e.g. a rate above the edge's per-device limit). */
  warnings: string[];
  /** Ground truth of the incidents and bad traffic of this run. */
  truth: TruthRecord[];
  startMs: number;
  endMs: number;
  stoppedBy: 'duration' | 'maxEvents' | 'signal' | 'exhausted' | 'no-devices';
}

export function newReport(startMs: number, byDevice: boolean): SimReport {
  return {
    sent: 0, acked: 0, errors: 0, expectedEvents: 0, byType: {}, byChannel: {}, devices: 0, connectFailures: [],
    willsTriggered: 0, lostConnections: 0, bad: {}, warnings: [], truth: [], startMs, endMs: 0, stoppedBy: 'exhausted',
    ...(byDevice ? { byDevice: {} } : {}),
  };
}

export type Accountable = Pick<TrafficItem, 'device' | 'channel' | 'expectedEvents' | 'intent'>;

/** A message's outcome: acknowledged messages add their expected events; failures count as errors. */
export function account(report: SimReport, ok: boolean, item: Accountable): void {
  if (!ok) {
    report.errors++;
    return;
  }
  report.acked++;
  report.expectedEvents += item.expectedEvents;
  report.byChannel[item.channel] = (report.byChannel[item.channel] ?? 0) + 1;
  for (const e of item.intent.events) report.byType[e.type] = (report.byType[e.type] ?? 0) + 1;
  if (report.byDevice) report.byDevice[item.device] = (report.byDevice[item.device] ?? 0) + 1;
}

export function badOutcome(report: SimReport, k: BadKind): BadOutcome {
  return (report.bad[k] ??= { sent: 0, acked: 0, refused: 0, errors: 0 });
}
