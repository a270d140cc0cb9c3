import { join } from 'node:path';
import { pino } from 'pino';
import { buildDashboards } from '../../dashboards/build.ts';
import type { Scorer } from '../../edge/pipeline/scorer-port.ts';
import { loadScorer } from '../../edge/scoring/load.ts';
import type { BadSpec, ScenarioSpec } from '../../simulators/scenarios/types.ts';

/**
 * What the demo adds so every part of the product has something to show (issue 16): the anomaly
 * scorer on every edge, one burglary at the first compound (device alarms wait in the console),
 * bad traffic from one of its devices (dead letters with reasons), and Grafana provisioning files.
 */
export interface Showcase {
  scenarios: ScenarioSpec[];
  bad: BadSpec[];
  /** Incident playback speed: the burglary's 20 minutes play in a few seconds. */
  speed: number;
}

/** The first edge's traffic extras: a burglary, then malformed and mistyped payloads, soon after the devices are in. */
export function showcase(compound: string): Showcase {
  return {
    scenarios: [{ scenario: 'burglary-night', compound, afterMs: 1000 }],
    bad: [
      { bad: 'malformed-json', compound, afterMs: 1500 },
      { bad: 'wrong-types', compound, afterMs: 2000 },
    ],
    speed: 600,
  };
}

/** The committed anomaly model (DEFAULT_MODEL) for one edge, its feature memory in the edge's outbox; undefined when the model is missing. */
export function demoScorer(dataDir: string): Promise<Scorer | undefined> {
  return loadScorer(undefined, pino({ level: 'silent' }), dataDir);
}

/**
 * Grafana provisioning (data source for this run's InfluxDB, dashboard provider) and the dashboard
 * JSON, written under `<dataDir>/grafana` where a Grafana admin can mount them.
 */
export function writeGrafana(dataDir: string, influx: { url: string; database: string } | undefined): string {
  const dir = join(dataDir, 'grafana');
  buildDashboards(dir, influx?.url ?? 'http://127.0.0.1:8086', influx?.database ?? 'safestar');
  return dir;
}
