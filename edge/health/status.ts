/**
 * The edge's overall `/health` status (issue 12: it said ok with most devices offline). Degraded
 * when the hub link is down, when more than half of the configured devices are known to be
 * offline (devices not yet heard from since the start are unknown, not offline), or when the
 * outbox is at its bound (the oldest non-life-safety events are being dropped). The reasons say
 * which.
 */
export interface StatusInput {
  uplinkConnected: boolean;
  devicesOffline: number;
  devicesTotal: number;
  outboxDepth: number;
  outboxMaxEvents: number;
}

export type StatusReason = 'uplink-down' | 'most-devices-offline' | 'outbox-full';

export function edgeStatus(i: StatusInput): { status: 'ok' | 'degraded'; reasons: StatusReason[] } {
  const reasons: StatusReason[] = [];
  if (!i.uplinkConnected) reasons.push('uplink-down');
  if (i.devicesTotal > 0 && i.devicesOffline * 2 > i.devicesTotal) reasons.push('most-devices-offline');
  if (i.outboxDepth >= i.outboxMaxEvents) reasons.push('outbox-full');
  return { status: reasons.length === 0 ? 'ok' : 'degraded', reasons };
}
