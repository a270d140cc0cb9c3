import type { SubScoreKey } from '../policy/policy-schema.ts';

import type { CaseRecord, CompoundRef, ConfirmedAlarm } from '../../protocol/cases.ts';

export type { CaseRecord, CompoundRef, ConfirmedAlarm } from '../../protocol/cases.ts';

/** Signals that are measured, not posted: null = no data (the sub-score leaves the index). */
export interface Signals {
  /** Device online rate, 0..1. */
  onlineRate: number | null;
  /** Resident survey satisfaction, 0..1. */
  survey: number | null;
}

export interface EngineInput extends Signals {
  compound: CompoundRef;
  cases: readonly CaseRecord[];
  alarms: readonly ConfirmedAlarm[];
  at: number;
}

export interface Driver {
  kind: 'case' | 'alarm';
  id: string;
  category: string;
  occurredAt: number;
  weight: number;
  decay: number;
  /** weight × decay × perHouseholds / households: this item's share of R. */
  contribution: number;
}

export interface SubScore {
  key: SubScoreKey;
  /** 0..100, or null when there is no input (then it is left out and the rest re-weigh). */
  score: number | null;
  weight: number;
  /** Weight actually used after renormalisation. */
  effectiveWeight: number;
  /** Index points lost to this part: effectiveWeight × (100 − score). */
  loss: number;
  /** Decayed, normalised load (exp curves) or the raw fraction (linear curves). */
  input: number | null;
  /** Loss per category or alarm type, for "which kind of case drags this compound down". */
  byCategory: Record<string, number>;
  drivers: Driver[];
}

export interface Veto {
  caseId: string;
  category: string;
  since: number;
  until: number;
}

export interface Downgrade {
  rule: string;
  stars: number;
  caseIds: string[];
  /** When the last of its cases stops counting. */
  until: number;
}

export interface StreakFlags {
  period: string;
  zeroPreventable: boolean;
  zeroAlerts: boolean;
}

export interface Streaks {
  month: StreakFlags;
  quarter: StreakFlags;
  year: StreakFlags;
  lastIncidentAt: number | null;
  daysSinceLastIncident: number | null;
}

export interface Gates {
  noVeto: boolean;
  onlineRate: boolean;
}

export interface Evaluation {
  compound: string;
  district: string;
  at: number;
  policyVersion: string;
  /** 0..100, rounded to 0.01: every counting case's weight is in it. */
  index: number;
  /**
   * The index without the cases whose downgrade is active now (rounded like `index`). Stars are
   * decided on it: a downgrade takes its stars off the band the compound would have without it.
   */
  baseIndex: number;
  subScores: Record<SubScoreKey, SubScore>;
  /** Stars from the band of `baseIndex` alone. */
  bandStars: number;
  /** False when there is not enough data to rate (no survey, no device heard, no case). */
  rated: boolean;
  gates: Gates;
  veto: Veto | null;
  downgrades: Downgrade[];
  /** Sum of downgrades after the total cap. */
  downgradeStars: number;
  /** Stars as if reviewed right now (no hysteresis): what a first list publishes. */
  stars: number;
  /** Loss per theme (fraud, dispute, theft, …, survey, devices, iot), largest first. */
  themes: { theme: string; loss: number }[];
  streaks: Streaks;
}
