import type { MqttClient } from 'mqtt';
import { badOutcome, type SimReport } from './run-report.ts';
import type { TrafficItem } from './traffic.ts';
import { connectDevice, publishQos1, type DeviceConnectOptions } from './transport.ts';
import type { BadKind } from './vendors/types.ts';
import { counters, edgeAnswer, type EdgeApi } from './edge-answer.ts';

/**
 * Bad kinds whose truth says what the edge must do (dead-letter or refuse): the simulator asks
 * the edge for its answer before it reports the outcome. Floods and duplicates have no single
 * answer (the edge rate-limits, the hub drops repeats).
 */
export const CHECKED_BAD: ReadonlySet<BadKind> = new Set<BadKind>(['malformed-json', 'wrong-types', 'oversized', 'unknown-device', 'wrong-topic']);

/** Checked probes one at a time, so each counter that moves on the edge belongs to one probe. */
const queues = new WeakMap<SimReport, Promise<void>>();

/**
 * Send one message of bad traffic as the device it claims to come from: on the device's own
 * connection (or, when it is offline, a connection of its own with the device's id and password),
 * so an oversized payload reaches the size limit and a wrong topic the topic ACL; the edge may
 * cut that link, and the device then reconnects like any device. Foreign credentials
 * (unknown-device) connect under the foreign id. With `edgeApi`, the outcome is the edge's own
 * answer (edge-answer.ts); without, it stays unconfirmed.
 */
export async function sendBadTraffic(
  item: TrafficItem,
  deviceClient: MqttClient | undefined,
  o: { brokerUrl: string; passwords: Readonly<Record<string, string>>; tls?: DeviceConnectOptions['tls']; edgeApi?: EdgeApi },
  report: SimReport,
): Promise<void> {
  const kind = item.bad as BadKind;
  if (!CHECKED_BAD.has(kind)) return send(item, deviceClient, o, report);
  const prev = queues.get(report) ?? Promise.resolve();
  const mine = prev.then(() => send(item, deviceClient, o, report));
  queues.set(report, mine.catch(() => {}));
  return mine;
}

async function send(
  item: TrafficItem,
  deviceClient: MqttClient | undefined,
  o: { brokerUrl: string; passwords: Readonly<Record<string, string>>; tls?: DeviceConnectOptions['tls']; edgeApi?: EdgeApi },
  report: SimReport,
): Promise<void> {
  const kind = item.bad as BadKind;
  const out = badOutcome(report, kind);
  out.sent++;
  report.sent++;
  const checked = CHECKED_BAD.has(kind) && o.edgeApi !== undefined;
  const before = checked ? await counters(o.edgeApi!) : new Map<string, number>();
  const sentAt = Date.now();
  let client = item.credentials ? undefined : deviceClient?.connected ? deviceClient : undefined;
  let ephemeral: MqttClient | undefined;
  let transportOk = false;
  if (!client) {
    const creds = item.credentials ?? { username: item.device, password: o.passwords[item.device] ?? '' };
    const r = await connectDevice({ url: o.brokerUrl, clientId: creds.username, ...creds, ...(o.tls ? { tls: o.tls } : {}) });
    if (r.ok) client = ephemeral = r.client;
  }
  if (client) {
    const res = await publishQos1(client, item.topic, item.payload);
    transportOk = res.ok;
  }
  if (transportOk) out.acked++;
  else out.refused++;
  if (ephemeral) await ephemeral.endAsync(true).catch(() => {});
  if (!checked) {
    if (CHECKED_BAD.has(kind)) out.unconfirmed++;
    return;
  }
  const answer = await edgeAnswer(o.edgeApi!, item.credentials ? undefined : item.device, sentAt, before);
  if (!answer) {
    out.unconfirmed++;
    return;
  }
  out.confirmed++;
  out.answers[answer.code] = (out.answers[answer.code] ?? 0) + 1;
  if (answer.kind === 'dead-letter') out.deadLettered++;
  report.probeAnswers.push({ device: item.device, kind, code: answer.code, answer: answer.kind, at: sentAt });
}
