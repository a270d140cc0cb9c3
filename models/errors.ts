/**
 * Stable error codes of the detector's tools and model files (`SS_MODEL_<WHAT>: what happened;
 * what to do`), in one place like the hub's and the scorer's catalogues. The edge never throws
 * these: a model it cannot read becomes an SS_SCORER_* status (edge/scoring/errors.ts).
 */
export const MODEL_ERRORS = {
  SS_MODEL_CORRUPT: 'the model file is not a Safestar model of the family it claims; re-export it with `safestar models train`',
  SS_MODEL_NO_METADATA: 'the model file lacks Safestar metadata (id, feature version, threshold); export it with models/onnx-export.ts (`safestar models train`)',
  SS_MODEL_TOO_FEW_SAMPLES: 'too little normal traffic to train on; generate more (a longer simulated period or more compounds)',
  SS_MODEL_RECIPE: 'the training recipe is unknown or cannot run as given; pass --recipe kt (the committed one) or measured, with the validation cities it needs',
  SS_MODEL_EVALUATE_SEEDS: 'unknown seed source; pass --seeds reserved, dev or fresh',
  SS_MODEL_EVALUATE: 'the evaluation could not run; run `safestar models train` first (or pass --dir to the folder holding the model)',
  SS_MODEL_EVALUATE_LIVE: 'the live-path evaluation could not start the scorer; check the model file with `safestar models train`',
} as const;

export type ModelErrorCode = keyof typeof MODEL_ERRORS;

export function modelMessage(code: ModelErrorCode, detail?: string): string {
  return `${code}: ${detail ? `${detail}; ` : ''}${MODEL_ERRORS[code]}`;
}

export class ModelError extends Error {
  readonly code: ModelErrorCode;
  constructor(code: ModelErrorCode, detail?: string) {
    super(modelMessage(code, detail));
    this.code = code;
    this.name = 'ModelError';
  }
}
