import type { LoadClient } from '../loadgen/protocol.ts';
import { startMosquitto } from './mosquitto.ts';
import { startNodeRed } from './node-red.ts';
import { measureRelay, type RelayResult } from './relay.ts';

/**
 * Anchor: Node-RED's mqtt in → function → mqtt out, QoS 1 both ways, through a private Mosquitto
 * (relay.flow.json). The same publishers and payloads as the edge; a subscriber on `out/#` counts.
 */
export async function nodeRedRelay(clients: LoadClient[], durationMs: number, window = 16): Promise<RelayResult> {
  const mosquitto = await startMosquitto();
  try {
    const nr = await startNodeRed('relay', { MQTT_PORT: mosquitto.port });
    try {
      return await measureRelay(mosquitto.url, 'out/#', clients, durationMs, window);
    } finally {
      await nr.stop();
    }
  } finally {
    await mosquitto.stop();
  }
}
