import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Scorer } from '../pipeline/scorer-port.ts';

/** The anomaly model shipped in the package (models/, see its model card). */
export const DEFAULT_MODEL = join(import.meta.dirname, '..', '..', 'models', 'kt-2.7.0.onnx');

/**
 * Learning period of a device after a start: an edge restart must not flag every device's
 * reconnect (issue 4: one outage, not one alarm per device).
 */
export const SCORER_WARMUP_MS = 10 * 60_000;

/** How often a running edge saves its feature memory (site config `scorer.stateSaveSeconds`). */
export const DEFAULT_STATE_SAVE_S = 30;

/**
 * Load the ONNX scorer lazily (onnxruntime is heavy); a missing model means no scorer.
 * `stateSaveSeconds`: the snapshot period of the feature memory kept in `dataDir`. `profileOf`:
 * each device's vendor profile (site config), so a new device starts from its kind and vendor prior.
 */
export async function loadScorer(model: string | false | undefined, log: Logger, dataDir?: string, stateSaveSeconds = DEFAULT_STATE_SAVE_S, profileOf?: (device: string) => string | undefined): Promise<Scorer | undefined> {
  if (model === false) return undefined;
  const path = model === undefined ? DEFAULT_MODEL : resolve(model);
  if (!existsSync(path)) {
    if (model !== undefined) log.warn({ path }, 'model file not found; running without anomaly scoring');
    return undefined;
  }
  const { createOnnxScorer } = await import('./onnx-scorer.ts');
  const features = profileOf ? { features: { profileOf } } : {};
  if (dataDir === undefined) return createOnnxScorer({ modelPath: path, warmupMs: SCORER_WARMUP_MS, ...features, onLog: (level, msg) => log[level](msg) });
  const { SqliteFeatureStateStore } = await import('./feature-state-store.ts');
  // The feature memory lives in the outbox's database: a restart resumes every device's windows.
  const state = new SqliteFeatureStateStore(join(dataDir, 'outbox.sqlite'));
  return createOnnxScorer({ modelPath: path, warmupMs: SCORER_WARMUP_MS, state, snapshotEveryMs: stateSaveSeconds * 1000, ...features, onLog: (level, msg) => log[level](msg) });
}

