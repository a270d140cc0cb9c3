import { countPoints } from '../hub-ingest.ts';
import { LoadGenerator } from '../loadgen/driver.ts';
import type { LoadClient } from '../loadgen/protocol.ts';
import { startMosquitto } from './mosquitto.ts';
import { startNodeRed } from './node-red.ts';

export interface PathResult {
  /** Events stored in InfluxDB per second, over the run plus its drain. */
  storedPerSec: number;
  acked: number;
  stored: number;
  /** Acknowledged events that never reached InfluxDB (within the drain bound). */
  lost: number;
}

/**
 * Wait until `count()` reaches `want` or stops growing for `idleMs`; returns the count and when it
 * last grew, so a rate is taken over the time the data really took to land.
 */
export async function waitForCount(count: () => Promise<number>, want: number, idleMs = 10_000, maxMs = 180_000): Promise<{ n: number; lastGrowthAt: number }> {
  const t0 = Date.now();
  let n = await count();
  let lastGrowthAt = Date.now();
  while (n < want && Date.now() - t0 < maxMs && Date.now() - lastGrowthAt < idleMs) {
    await new Promise((r) => setTimeout(r, 100));
    const m = await count();
    if (m > n) lastGrowthAt = Date.now();
    n = m;
  }
  return { n, lastGrowthAt };
}

/**
 * Anchor for the whole path: Node-RED's mqtt in → function → join (500) → influxdb batch, through a
 * private Mosquitto into the same throwaway influxd (influx.flow.json), fed the same publishers.
 */
export async function nodeRedInflux(clients: LoadClient[], durationMs: number, influxUrl: string, database: string, window = 16): Promise<PathResult> {
  const port = Number(new URL(influxUrl).port);
  await fetch(`${influxUrl}/query?q=${encodeURIComponent(`CREATE DATABASE "${database}"`)}`, { method: 'POST' });
  const mosquitto = await startMosquitto();
  try {
    const nr = await startNodeRed('influx', { MQTT_PORT: mosquitto.port, INFLUX_PORT: port, INFLUX_DB: database });
    try {
      const { gen } = await LoadGenerator.connect({ url: mosquitto.url, clients, qos: 1, window, durationMs });
      try {
        const t0 = Date.now();
        const res = await gen.run();
        const { n, lastGrowthAt } = await waitForCount(() => countPoints(influxUrl, database), res.acked);
        const seconds = (Math.max(t0 + res.elapsedMs, lastGrowthAt) - t0) / 1000;
        return { storedPerSec: Math.min(n, res.acked) / seconds, acked: res.acked, stored: n, lost: Math.max(0, res.acked - n) };
      } finally {
        await gen.stop();
      }
    } finally {
      await nr.stop();
    }
  } finally {
    await mosquitto.stop();
  }
}
