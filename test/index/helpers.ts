import type { CaseRecord, CompoundRef } from '../../hub/index/types.ts';

export const DAY = 86_400_000;
/** 2026-06-15 00:00 UTC+8. */
export const T0 = Date.UTC(2026, 5, 14, 16);
export const COMPOUND: CompoundRef = { id: 'c0001', district: 'siming', households: 1000 };

let n = 0;
export function kase(category: string, occurredAt: number, extra: Partial<CaseRecord> = {}): CaseRecord {
  return {
    id: `k${++n}`,
    department: 'police',
    category,
    compound: COMPOUND.id,
    occurredAt,
    registeredAt: occurredAt,
    status: 'registered',
    ...extra,
  };
}

/** A clean, well-kept compound: survey 98 %, devices 99 % online. */
export const GOOD = { onlineRate: 0.99, survey: 0.98 } as const;
