import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { FEATURE_COUNT, FEATURE_VERSION } from '../../models/features.ts';
import { readOnnx, type ModelMeta } from '../../models/onnx-export.ts';
import { readTailOnnx, readTailMeta } from '../../models/tail-onnx.ts';
import type { TailModel } from '../../models/tail-model.ts';
import type { ModelErrorCode } from '../../models/errors.ts';

/**
 * Either model family the edge can run: the autoencoder (issue 5) or the tail detector (issue 15).
 * Both take "features" [N × FEATURE_COUNT] and give "score" [N]; only the tables differ.
 */
function readModelFile(bytes: Uint8Array): { ok: true; meta: ModelMeta; inputSize: number; tail?: TailModel } | { ok: false; code: ModelErrorCode; reason: string } {
  const tail = readTailMeta(bytes);
  if (tail) {
    const m = readTailOnnx(bytes);
    if (!m) return { ok: false, code: 'SS_MODEL_CORRUPT', reason: 'tail model tables missing; re-export the model' };
    return { ok: true, meta: tail, inputSize: FEATURE_COUNT, tail: m };
  }
  const r = readOnnx(bytes);
  return r.ok ? { ok: true, meta: r.meta, inputSize: r.net.mean.length } : r;
}
import { scorerMessage, type ScorerErrorCode } from './errors.ts';
import { LazySession } from './lazy-session.ts';

export interface LoadedModel {
  meta: ModelMeta;
  /** onnxruntime's session: created at load for models only onnxruntime can run, on first use for the tail detector. */
  session: LazySession;
  sha256: string;
  path: string;
  /** The tail detector's tables read from the same file: the TypeScript reference scores small batches (bit-identical to the graph). */
  tail?: TailModel;
}

export type LoadResult = { ok: true; model: LoadedModel } | { ok: false; code: ScorerErrorCode; reason: string };

function failed(code: ScorerErrorCode, detail: string): LoadResult {
  return { ok: false, code, reason: scorerMessage(code, detail) };
}

/**
 * Load and vet one model file: it must exist, carry Safestar metadata and expect this release's
 * features. A model without tail tables (the autoencoder) must also load in onnxruntime now,
 * since only onnxruntime can score it. The tail detector's tables are read and checked here
 * (`readTailOnnx`), and its batches below REFERENCE_BELOW_ROWS are scored by the TypeScript
 * reference, so onnxruntime is loaded only when a batch that large comes (its load failing then
 * leaves that batch unscored, counted with SS_EDGE_SCORER_ERROR and logged); parity of the graph
 * and the reference is a test (test/models/tail-parity.test.ts). Never throws: a bad model is a
 * status, not a crash.
 */
export async function loadModel(path: string): Promise<LoadResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return failed(code === 'ENOENT' ? 'SS_SCORER_MODEL_MISSING' : 'SS_SCORER_MODEL_LOAD', `${path}: ${code ?? (e as Error).message}`);
  }
  const parsed = readModelFile(bytes);
  if (!parsed.ok) {
    return failed(parsed.code === 'SS_MODEL_NO_METADATA' ? 'SS_SCORER_MODEL_METADATA' : 'SS_SCORER_MODEL_LOAD', `${path}: ${parsed.reason}`);
  }
  const { meta } = parsed;
  if (meta.featureVersion !== FEATURE_VERSION || parsed.inputSize !== FEATURE_COUNT) {
    return failed('SS_SCORER_FEATURE_VERSION', `${path} expects features ${meta.featureVersion} (${parsed.inputSize}), this edge computes ${FEATURE_VERSION} (${FEATURE_COUNT})`);
  }
  const session = new LazySession(bytes);
  if (!parsed.tail) {
    try {
      await session.get();
    } catch (e) {
      return failed('SS_SCORER_MODEL_LOAD', `${path}: ${(e as Error).message.slice(0, 200)}`);
    }
  }
  return { ok: true, model: { meta, session, sha256: createHash('sha256').update(bytes).digest('hex'), path, ...(parsed.tail ? { tail: parsed.tail } : {}) } };
}
