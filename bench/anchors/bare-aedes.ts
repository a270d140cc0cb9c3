import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { LoadClient } from '../loadgen/protocol.ts';
import { measureRelay, type RelayResult } from './relay.ts';

/**
 * Anchor: the same publishers through a bare aedes (no auth, no hooks, nothing on disk) to one
 * subscriber in another process: the ceiling of the broker library the edge is built on.
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
  try {
    return await measureRelay(url, 'ss/#', clients, durationMs, window);
  } finally {
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  }
}
