import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { loadSiteConfig } from './config.ts';
import { startEdge } from './edge.ts';
import type { Scorer } from './pipeline/scorer-port.ts';

/** The anomaly model shipped in the package (models/, see its model card). */
export const DEFAULT_MODEL = join(import.meta.dirname, '..', 'models', 'kt-2.1.0.onnx');

/**
 * Learning period of a device after a start: an edge restart must not flag every device's
 * reconnect (issue 4: one outage, not one alarm per device).
 */
export const SCORER_WARMUP_MS = 10 * 60_000;

export interface RunEdgeOptions {
  /** `.onnx` model for the anomaly scorer; default DEFAULT_MODEL when present; `false` = no scorer. */
  model?: string | false;
}

/** Load the ONNX scorer lazily (onnxruntime is heavy); a missing model means no scorer. */
async function loadScorer(model: string | false | undefined, log: Logger, dataDir: string): Promise<Scorer | undefined> {
  if (model === false) return undefined;
  const path = model === undefined ? DEFAULT_MODEL : resolve(model);
  if (!existsSync(path)) {
    if (model !== undefined) log.warn({ path }, 'model file not found; running without anomaly scoring');
    return undefined;
  }
  const { createOnnxScorer } = await import('./scoring/onnx-scorer.ts');
  const { SqliteFeatureStateStore } = await import('./scoring/feature-state-store.ts');
  // The feature memory lives in the outbox's database: a restart resumes every device's windows.
  const state = new SqliteFeatureStateStore(join(dataDir, 'outbox.sqlite'));
  return createOnnxScorer({ modelPath: path, warmupMs: SCORER_WARMUP_MS, state, onLog: (level, msg) => log[level](msg) });
}

/** `safestar edge --config site.json`: load, start, stop cleanly on SIGINT / SIGTERM. Wiring only. */
export async function runEdge(configPath: string, opts: RunEdgeOptions = {}): Promise<void> {
  // Logs go to stderr: stdout carries only the one machine-readable ready line.
  const log = pino({ level: process.env['LOG_LEVEL'] ?? 'info' }, pino.destination(2));
  const config = loadSiteConfig(configPath);
  const scorer = await loadScorer(opts.model, log, config.dataDir);
  const edge = await startEdge(config, { log, ...(scorer ? { scorer } : {}) });
  log.info({ broker: edge.brokerUrl, api: edge.apiUrl, scorer: scorer?.status().state ?? 'off' }, 'edge ready');
  // One line on stdout for scripts (tests, the demo) to pick the ports up.
  process.stdout.write(`${JSON.stringify({ ready: true, brokerUrl: edge.brokerUrl, apiUrl: edge.apiUrl })}\n`);
  const stop = (signal: string): void => {
    log.info({ signal }, 'stopping');
    edge.close().then(
      () => process.exit(0),
      (e: Error) => {
        log.error({ err: e.message }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
