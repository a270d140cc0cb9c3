import { describe, expect, it } from 'vitest';
import { SCORER_ERRORS, scorerMessage } from '../../edge/scoring/errors.ts';

describe('scorer error catalogue', () => {
  it('has stable SS_SCORER_ codes, each saying what to do', () => {
    for (const [code, what] of Object.entries(SCORER_ERRORS)) {
      expect(code).toMatch(/^SS_SCORER_[A-Z_]+$/);
      expect(what.length).toBeGreaterThan(20);
    }
    expect(scorerMessage('SS_SCORER_MODEL_MISSING', '/x.onnx: ENOENT')).toBe(`SS_SCORER_MODEL_MISSING: /x.onnx: ENOENT; ${SCORER_ERRORS.SS_SCORER_MODEL_MISSING}`);
  });
});
