/**
 * Stable error codes of the edge's anomaly scorer (`SS_SCORER_<WHAT>: what happened; what to do`).
 * None of them stops the edge: the scorer reports `degraded` and events flow on with rules only.
 */
export const SCORER_ERRORS = {
  SS_SCORER_MODEL_MISSING: 'model file not found; run `safestar models train` or fix scoring.modelPath',
  SS_SCORER_MODEL_LOAD: 'onnxruntime could not load the model file; re-export it with `safestar models train`',
  SS_SCORER_MODEL_METADATA: 'the model file has no Safestar metadata (threshold, feature version); re-export it',
  SS_SCORER_FEATURE_VERSION: "the model was trained on another feature version than this edge computes; deploy a model trained with this release",
  SS_SCORER_RUN: 'onnxruntime failed to score a batch; events of that batch went on unscored',
  SS_SCORER_TIMEOUT: 'a scoring batch exceeded its time budget; its events went on unscored',
  SS_SCORER_OVERLOAD: 'the scoring queue was full; events went on unscored',
  SS_SCORER_STATE_RESTORE: 'the saved feature memory could not be used; the scorer starts cold (new devices learn for the learning period)',
  SS_SCORER_STATE_SAVE: 'the feature memory could not be saved; a restart now would start cold. Check the data folder (disk full, permissions)',
} as const;

export type ScorerErrorCode = keyof typeof SCORER_ERRORS;

export function scorerMessage(code: ScorerErrorCode, detail?: string): string {
  return `${code}: ${detail ? `${detail}; ` : ''}${SCORER_ERRORS[code]}`;
}
