import { pino } from 'pino';
import { loadSiteConfig } from './config.ts';
import { startEdge } from './edge.ts';
import { loadScorer } from './scoring/load.ts';
import { buildAdvice, glibcRuntime, heapFlagsAdvice, mallocArenaAdvice } from './process-memory.ts';

export { DEFAULT_MODEL, SCORER_WARMUP_MS } from './scoring/load.ts';

export interface RunEdgeOptions {
  /** `.onnx` model for the anomaly scorer; default DEFAULT_MODEL when present; `false` = no scorer. */
  model?: string | false;
  /** --log-level (commander also fills it from LOG_LEVEL); beats the site config's logLevel. */
  logLevel?: string;
}

/** `safestar edge --config site.json`: load, start, stop cleanly on SIGINT / SIGTERM. Wiring only. */
export async function runEdge(configPath: string, opts: RunEdgeOptions = {}): Promise<void> {
  const config = loadSiteConfig(configPath);
  // Logs go to stderr: stdout carries only the one machine-readable ready line.
  const log = pino({ name: 'safestar-edge', level: opts.logLevel ?? config.logLevel ?? 'info' }, pino.destination(2));
  for (const advice of [mallocArenaAdvice(process.env, glibcRuntime()), heapFlagsAdvice(process.execArgv), buildAdvice(process.env)]) {
    if (advice) log.warn({ code: advice.code }, advice.message);
  }
  const profiles = new Map(config.devices.map((d) => [d.id, d.profile as string] as const));
  const scorer = await loadScorer(opts.model, log, config.dataDir, config.scorer?.stateSaveSeconds, (device) => profiles.get(device));
  const edge = await startEdge(config, { log, scorerExpected: opts.model !== false, ...(scorer ? { scorer } : {}) });
  // Before the ready line: a script that sends SIGTERM as soon as it reads it gets a clean stop.
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
  log.info({ broker: edge.brokerUrl, api: edge.apiUrl, scorer: scorer?.status().state ?? 'off' }, 'edge ready');
  // One line on stdout for scripts (tests, the demo) to pick the ports up.
  process.stdout.write(`${JSON.stringify({ ready: true, brokerUrl: edge.brokerUrl, apiUrl: edge.apiUrl })}\n`);
}
