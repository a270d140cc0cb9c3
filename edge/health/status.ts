/**
 * The edge's overall `/health` status (issue 12 and 16: it said ok with 44 % of its devices
 * offline). Degraded when the hub link is down, when a quarter or more of the configured devices
 * are known to be offline (devices not yet heard from since the start are unknown, not
 * offline), when the outbox is at its bound (the oldest non-life-safety events are being
 * dropped), or when a scorer was asked for and is not scoring (events go unscored, two Grafana
 * panels stay empty). The reasons say which.
 */
export interface StatusInput {
  uplinkConnected: boolean;
  devicesOffline: number;
  devicesTotal: number;
  outboxDepth: number;
  outboxMaxEvents: number;
  /** Was an anomaly scorer configured (`safestar edge` without --no-scorer)? */
  scorerExpected?: boolean;
  /** The scorer's own state (Scorer.status().state). */
  scorerState?: 'ok' | 'degraded' | 'off';
}

/** Share of configured devices offline from which the edge reports degraded (a quarter). */
export const DEGRADED_OFFLINE_SHARE = 0.25;

export type StatusReason = 'uplink-down' | 'devices-offline' | 'outbox-full' | 'scorer-off';

export function edgeStatus(i: StatusInput): { status: 'ok' | 'degraded'; reasons: StatusReason[] } {
  const reasons: StatusReason[] = [];
  if (!i.uplinkConnected) reasons.push('uplink-down');
  if (i.devicesTotal > 0 && i.devicesOffline >= DEGRADED_OFFLINE_SHARE * i.devicesTotal) reasons.push('devices-offline');
  if (i.outboxDepth >= i.outboxMaxEvents) reasons.push('outbox-full');
  if (i.scorerExpected && i.scorerState !== 'ok') reasons.push('scorer-off');
  return { status: reasons.length === 0 ? 'ok' : 'degraded', reasons };
}
