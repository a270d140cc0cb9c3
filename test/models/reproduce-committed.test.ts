import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { artifactPaths, evaluateAndWrite, trainAndWrite } from '../../models/artifacts.ts';
import { RECIPE } from '../../models/recipe.ts';

// Issue 5's "done when": `safestar models train && safestar models evaluate` reproduce the
// committed model and its report. The training data come from the simulators, so any change to
// their traffic (or to the features) shows up here as a diff to regenerate and review, rather
// than as a committed model nobody can rebuild. The full recipe: ~25 s of CPU.
describe('the committed model is what train && evaluate build today', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-models-repro-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rebuilds models/ae16-*.onnx, its card and its report byte for byte', { timeout: 300_000 }, () => {
    trainAndWrite(RECIPE, dir);
    evaluateAndWrite(RECIPE, dir);
    const committed = artifactPaths(join(import.meta.dirname, '../../models'), RECIPE);
    const rebuilt = artifactPaths(dir, RECIPE);
    expect(readFileSync(rebuilt.onnx).equals(readFileSync(committed.onnx)), 'the .onnx differs: run `safestar models train && safestar models evaluate` and review').toBe(true);
    expect(readFileSync(rebuilt.card, 'utf8')).toBe(readFileSync(committed.card, 'utf8'));
    expect(readFileSync(rebuilt.reportJson, 'utf8')).toBe(readFileSync(committed.reportJson, 'utf8'));
    expect(readFileSync(rebuilt.reportMd, 'utf8')).toBe(readFileSync(committed.reportMd, 'utf8'));
  });
});
