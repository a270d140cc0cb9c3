import type { Event } from '../../protocol/event.ts';

/**
 * The port the ONNX anomaly scorer (models/) plugs into. The edge calls `scoreBatch` once per
 * group commit (a natural micro-batch) and waits at most `scoreTimeoutMs` (StartEdgeOptions);
 * on timeout or error the batch is written unscored and counted, so a slow model never stalls
 * the device PUBACKs. The scorer sets `event.score` in place on the events it scores.
 */
export interface ScorerStatus {
  model?: string;
  state: 'ok' | 'degraded' | 'off';
  reason?: string;
}

export interface Scorer {
  scoreBatch(events: Event[]): Promise<void>;
  status(): ScorerStatus;
  close?(): Promise<void>;
}

/** Default: no model, nothing scored. */
export const noopScorer: Scorer = {
  scoreBatch: () => Promise.resolve(),
  status: () => ({ state: 'off', reason: 'no scorer configured' }),
};
