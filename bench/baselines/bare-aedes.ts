import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { LoadGenerator } from '../loadgen/driver.ts';
import { Sink } from '../loadgen/sink-driver.ts';
import type { LoadClient } from '../loadgen/protocol.ts';

export interface RelayResult {
  /** Messages the subscriber received per second. */
  deliveredPerSec: number;
  published: number;
  delivered: number;
}

/**
 * The raw component: the same publishers through a bare aedes (no auth, no hooks) to one
 * subscriber in another process. Everything else is compared with this, measured in the same run.
 */
export async function bareAedesRelay(clients: LoadClient[], durationMs: number, window = 16): Promise<RelayResult> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const url = `mqtt://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const sink = await Sink.start(url, 'ss/#', 1);
  const { gen } = await LoadGenerator.connect({ url, clients, qos: 1, window, durationMs });
  try {
    const before = await sink.count();
    const t0 = Date.now();
    const res = await gen.run();
    // Let the relay finish delivering what was acked.
    let delivered = (await sink.count()) - before;
    for (let i = 0; i < 50 && delivered < res.acked; i++) {
      await new Promise((r) => setTimeout(r, 100));
      delivered = (await sink.count()) - before;
    }
    const seconds = Math.max(res.elapsedMs, Date.now() - t0 - 0) / 1000;
    return { deliveredPerSec: delivered / seconds, published: res.published, delivered };
  } finally {
    await gen.stop();
    await sink.stop();
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  }
}
