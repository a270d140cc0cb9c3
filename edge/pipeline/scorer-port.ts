import type { Event } from '../../protocol/event.ts';

/**
 * The port the ONNX anomaly scorer (models/) plugs into. The edge calls `scoreBatch` once per
 * group commit (a natural micro-batch). The scorer sets `event.score` in place on the events it
 * scores and answers how many it left unscored, by code, so nothing goes unscored silently.
 * Under overload the committer passes `shed`: events it picks get feature memory only (windows
 * stay complete) and no model run (the shedding policy: pipeline/committer.ts, edge/README.md).
 * `scoreTimeoutMs` (StartEdgeOptions) is only a stall guard against a hung runtime.
 */
export type UnscoredCode = 'SS_EDGE_SCORER_SHED' | 'SS_EDGE_SCORER_TIMEOUT' | 'SS_EDGE_SCORER_ERROR';

/** Events of one batch the scorer left unscored, by code (absent = none). */
export type ScoreOutcome = Partial<Record<UnscoredCode, number>>;

export interface ScorerStatus {
  model?: string;
  state: 'ok' | 'degraded' | 'off';
  reason?: string;
}

export interface Scorer {
  scoreBatch(events: Event[], shed?: (e: Event) => boolean): Promise<ScoreOutcome | void>;
  status(): ScorerStatus;
  close?(): Promise<void>;
}

/** Default: no model, nothing scored. */
export const noopScorer: Scorer = {
  scoreBatch: () => Promise.resolve(),
  status: () => ({ state: 'off', reason: 'no scorer configured' }),
};
