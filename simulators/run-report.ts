import type { DeviceChannel } from '../protocol/topics.ts';
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
  /** Transport view: the broker PUBACKed it / the connection or publish was refused. */
  acked: number;
  refused: number;
  errors: number;
  /** The edge's own answer (edge-answer.ts): how many it confirmed, and with which codes. */
  confirmed: number;
  deadLettered: number;
  answers: Record<string, number>;
  /** Checked kinds the edge gave no answer to (or no --edge-api to ask). */
  unconfirmed: number;
}

/** What the edge answered to one bad message sent as `device`. */
export interface ProbeAnswer {
  device: string;
  kind: BadKind;
  code: string;
  answer: 'dead-letter' | 'refusal';
  at: number;
}

export interface SimReport {
  /** Messages published (attempted), including `online`. */
  sent: number;
  /** Messages PUBACKed. */
  acked: number;
  /** Publishes that failed or stayed unacknowledged, and devices that never connected. */
  errors: number;
  /** Events the edge should produce from what was acknowledged (+ Last Wills triggered). */
  expectedEvents: number;
  /** Acknowledged canonical events by type. */
  byType: Record<string, number>;
  byChannel: Record<string, number>;
  byDevice?: Record<string, number>;
  devices: number;
  /**
   * Devices whose connect failed at least once: the latest failure, how many attempts failed,
   * and whether the device got in later (devices retry with backoff for the whole run).
   */
  connectFailures: ConnectFailure[];
  /** Failed connect attempts, all devices (retries included). */
  connectAttemptsFailed: number;
  /** Devices that never got in during the run. */
  neverConnected: number;
  willsTriggered: number;
  /**
   * Connections the broker closed on its own (the broker then sends the device's Will, an
   * `offline` event not in expectedEvents). 0 in a healthy run.
   */
  lostConnections: number;
  /** Bad traffic sent on purpose, by kind (excluded from expectedEvents). */
  bad: Partial<Record<BadKind, BadOutcome>>;
  /** The edge's answers to bad traffic, per message (the errors a device confirmation expects). */
  probeAnswers: ProbeAnswer[];
  /** Links the edge cut in answer to bad traffic on them (the device then reconnects). */
  probeCuts: number;
  /** Things that may make the numbers surprising (e.g. a rate above the edge's per-device limit). */
  warnings: string[];
  /** Ground truth of the incidents and bad traffic of this run. */
  truth: TruthRecord[];
  startMs: number;
  endMs: number;
  stoppedBy: 'duration' | 'maxEvents' | 'signal' | 'exhausted' | 'no-devices';
}

export interface ConnectFailure {
  device: string;
  code: string;
  reason: string;
  attempts: number;
  /** It connected after this failure. */
  recovered: boolean;
}

/**
 * One message the run published (or the broker published for it: a Last Will), with its outcome,
 * for callers that reconcile by id (the demo). Only recorded when SimOptions.onMessage is set.
 */
export interface SentMessage {
  device: string;
  channel: DeviceChannel;
  payload: string | Buffer;
  /** The broker PUBACKed it. A Will is never acknowledged to the device. */
  acked: boolean;
  /** A Last Will the broker sends on the device's behalf (its link was cut or lost). */
  will?: boolean;
  /** Only perhaps sent: a connect given up before CONNACK that the broker may have accepted. */
  possible?: boolean;
}

export function newReport(startMs: number, byDevice: boolean): SimReport {
  return {
    sent: 0, acked: 0, errors: 0, expectedEvents: 0, byType: {}, byChannel: {}, devices: 0, connectFailures: [], connectAttemptsFailed: 0, neverConnected: 0,
    willsTriggered: 0, lostConnections: 0, bad: {}, probeAnswers: [], probeCuts: 0, warnings: [], truth: [], startMs, endMs: 0, stoppedBy: 'exhausted',
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
  return (report.bad[k] ??= { sent: 0, acked: 0, refused: 0, errors: 0, confirmed: 0, deadLettered: 0, answers: {}, unconfirmed: 0 });
}
