import type { EventType } from '../../protocol/devices.ts';

/**
 * The simple rating's numbers (a reduced DOMAIN.md policy; the full engine in hub/index/ reads a
 * policy file). No case data reaches this engine, so crime, other events and survey sit at 100.
 */
export const SIMPLE_POLICY = {
  /** Sub-score weights, DOMAIN.md. */
  weights: { crime: 0.5, other: 0.15, survey: 0.15, iot: 0.1, online: 0.1 },
  /** Alarm-class device events and their weight (DOMAIN.md "IoT"); unconfirmed here, so simple. */
  alarmWeights: { 'door-forced': 0.5, 'wire-cut': 1.0, 'intrusion-enter': 1.0, duress: 2.0, tamper: 0.3 } as Partial<Record<EventType, number>>,
  /** Half-life of an alarm's effect (ms): 30 days. */
  alarmHalfLifeMs: 30 * 86_400_000,
  /** IoT sub-score = 100·e^(−R/τ), R per 1,000 households. */
  iotTau: 2,
  householdsFloor: 200,
  /** Online sub-score: linear 90 % → 0, 98 % → 100. */
  online: { zeroAt: 0.9, fullAt: 0.98, fiveStarMin: 0.95 },
  /** A device is online when heard within this many heartbeat intervals. */
  missedHeartbeats: 3,
  defaultHeartbeatS: 60,
  /** Stars (DOMAIN.md bands): 5★ > 90, 4★ ≥ 80, 3★ ≥ 70, 2★ ≥ 60, else 1★. */
  fiveStarAbove: 90,
  lowerBands: [
    { stars: 4, atLeast: 80 },
    { stars: 3, atLeast: 70 },
    { stars: 2, atLeast: 60 },
  ],
} as const;

/** 5★ also needs a device online rate ≥ 95 % when the rate is known. */
export function starsFor(index: number, onlineRate: number | undefined): number {
  const p = SIMPLE_POLICY;
  const onlineOk = onlineRate === undefined || onlineRate >= p.online.fiveStarMin;
  if (index > p.fiveStarAbove && onlineOk) return 5;
  for (const b of p.lowerBands) if (index >= b.atLeast) return b.stars;
  return 1;
}
