import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';

/** A real in-process aedes broker that checks device passwords and records every publish it accepts. */
export interface TestBroker {
  url: string;
  received: { topic: string; payload: Buffer; clientId: string }[];
  refusedConnects: number;
  /** Wall-clock times of every CONNECT, by client id. */
  attempts: Map<string, number[]>;
  /** Close a client's connection from the broker side (its Will is published). */
  kick(clientId: string): boolean;
  close(): Promise<void>;
}

export async function startTestBroker(opts: {
  passwords?: Record<string, string>;
  refuseTopic?: (clientId: string, topic: string) => boolean;
  /** Answer this CONNECT (the n-th of the client, from 1) with 'server unavailable', as a busy edge does. */
  busy?: (clientId: string, n: number) => boolean;
} = {}): Promise<TestBroker> {
  const received: TestBroker['received'] = [];
  const state = { refused: 0 };
  const attempts = new Map<string, number[]>();
  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const times = attempts.get(client.id) ?? [];
      times.push(Date.now());
      attempts.set(client.id, times);
      if (opts.busy?.(client.id, times.length)) {
        state.refused++;
        return done(Object.assign(new Error('busy'), { returnCode: 3 as const }), null);
      }
      if (!opts.passwords) return done(null, true);
      const want = username ? opts.passwords[username] : undefined;
      if (want !== undefined && password?.toString() === want && client.id === username) return done(null, true);
      state.refused++;
      const err = Object.assign(new Error('bad credentials'), { returnCode: 4 as const });
      done(err, null);
    },
    authorizePublish(client, packet, cb) {
      const id = client?.id ?? '';
      if (opts.refuseTopic?.(id, packet.topic)) return cb(new Error('not allowed'));
      received.push({ topic: packet.topic, payload: Buffer.from(packet.payload as Buffer), clientId: id });
      cb(null);
    },
  });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    received,
    attempts,
    kick(clientId) {
      const c = (broker as unknown as { clients: Record<string, { close(): void } | undefined> }).clients[clientId];
      c?.close();
      return c !== undefined;
    },
    get refusedConnects() {
      return state.refused;
    },
    async close() {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
