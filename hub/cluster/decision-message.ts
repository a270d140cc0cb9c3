import type { JetStreamClient } from '@nats-io/jetstream';
import { eventSubject, partitionOf } from './partition.ts';

/**
 * An operator's input for one compound — a decision on a device alarm, or a resident survey
 * result — as it rides the compound's partition subject (like a case, case-message.ts): any
 * worker's API takes it, the partition's owner applies it in order with the partition's events,
 * writes it under its epoch and re-rates the compound.
 */
export interface AlarmDecision {
  id: string;
  compound: string;
  status: 'confirmed' | 'dismissed';
  by: string;
  at: number;
}

export interface SurveyEntry {
  compound: string;
  satisfaction: number;
  by: string;
  at: number;
}

export type DecisionMessage =
  | { v: 1; kind: 'alarm-decision'; partition: number; alarm: AlarmDecision }
  | { v: 1; kind: 'survey'; partition: number; survey: SurveyEntry };

export function isDecisionMessage(x: unknown): x is DecisionMessage {
  const m = x as { kind?: unknown; alarm?: { id?: unknown; status?: unknown }; survey?: { compound?: unknown; satisfaction?: unknown } } | null;
  if (!m) return false;
  if (m.kind === 'alarm-decision') return typeof m.alarm?.id === 'string' && (m.alarm.status === 'confirmed' || m.alarm.status === 'dismissed');
  if (m.kind === 'survey') return typeof m.survey?.compound === 'string' && typeof m.survey.satisfaction === 'number';
  return false;
}

/**
 * Publish onto the compound's partition. The message id makes a client's retry of the same
 * input (same time) one message; a later different decision is a new one.
 */
export async function publishDecision(js: JetStreamClient, d: { alarm: AlarmDecision } | { survey: SurveyEntry }, partitions: number, timeoutMs = 10_000): Promise<{ partition: number; seq: number }> {
  const compound = 'alarm' in d ? d.alarm.compound : d.survey.compound;
  const partition = partitionOf(compound, partitions);
  const msg: DecisionMessage = 'alarm' in d ? { v: 1, kind: 'alarm-decision', partition, alarm: d.alarm } : { v: 1, kind: 'survey', partition, survey: d.survey };
  const msgID = 'alarm' in d ? `alarm.${d.alarm.id}.${d.alarm.status}.${d.alarm.at}` : `survey.${compound}.${d.survey.satisfaction}.${d.survey.at}`;
  const ack = await js.publish(eventSubject(partition), JSON.stringify(msg), { msgID, timeout: timeoutMs });
  return { partition, seq: ack.seq };
}
