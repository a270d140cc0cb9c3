import { LoadGenerator } from '../loadgen/driver.ts';
import { Sink } from '../loadgen/sink-driver.ts';
import type { LoadClient } from '../loadgen/protocol.ts';

export interface RelayResult {
  /** Messages the subscriber received per second, over the run plus its drain. */
  deliveredPerSec: number;
  published: number;
  acked: number;
  delivered: number;
  /** Acknowledged QoS 1 messages the subscriber never received (within the drain bound). */
  lost: number;
}

/**
 * The load generator publishes to `url`; a subscriber process on `filter` counts what comes out.
 * The clock stops when the subscriber has every acknowledged message (or after a 20-s drain bound,
 * after which the shortfall is reported as lost).
 */
export async function measureRelay(url: string, filter: string, clients: LoadClient[], durationMs: number, window = 16): Promise<RelayResult> {
  const sink = await Sink.start(url, filter, 1);
  const { gen } = await LoadGenerator.connect({ url, clients, qos: 1, window, durationMs });
  try {
    const before = await sink.count();
    const t0 = Date.now();
    const res = await gen.run();
    let delivered = (await sink.count()) - before;
    let last = Date.now();
    for (let i = 0; i < 200 && delivered < res.acked; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const now = (await sink.count()) - before;
      if (now > delivered) last = Date.now();
      delivered = now;
    }
    const seconds = (Math.max(t0 + res.elapsedMs, last) - t0) / 1000;
    return { deliveredPerSec: Math.min(delivered, res.acked) / seconds, published: res.published, acked: res.acked, delivered, lost: Math.max(0, res.acked - delivered) };
  } finally {
    await gen.stop();
    await sink.stop();
  }
}
