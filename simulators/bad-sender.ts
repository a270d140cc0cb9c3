import type { MqttClient } from 'mqtt';
import { badOutcome, type SimReport } from './run-report.ts';
import type { TrafficItem } from './traffic.ts';
import { connectDevice, publishQos1, type DeviceConnectOptions } from './transport.ts';
import type { BadKind } from './vendors/types.ts';

/**
 * Send one message of bad traffic. Foreign credentials or a probe outside the device's rights go
 * on their own connection, so a refusal never takes the real device down with it. Outcomes are
 * counted per kind (acked = the broker took it, refused = connection or publish refused).
 */
export async function sendBadTraffic(
  item: TrafficItem,
  deviceClient: MqttClient | undefined,
  o: { brokerUrl: string; passwords: Readonly<Record<string, string>>; tls?: DeviceConnectOptions['tls'] },
  report: SimReport,
): Promise<void> {
  const out = badOutcome(report, item.bad as BadKind);
  out.sent++;
  report.sent++;
  let client = deviceClient;
  let ephemeral: MqttClient | undefined;
  if (item.credentials || item.separate || !client) {
    const r = await connectDevice({
      url: o.brokerUrl, clientId: `${item.credentials?.username ?? item.device}.probe`,
      ...(item.credentials ?? { username: item.device, password: o.passwords[item.device] ?? '' }),
      ...(o.tls ? { tls: o.tls } : {}),
    });
    if (!r.ok) {
      out.refused++;
      return;
    }
    client = ephemeral = r.client;
  }
  const res = await publishQos1(client, item.topic, item.payload);
  if (res.ok) out.acked++;
  else out.refused++;
  if (ephemeral) await ephemeral.endAsync(true).catch(() => {});
}
