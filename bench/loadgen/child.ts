// Load generator, run in its own process so the system under test gets the other core.
import { createWriteStream, type WriteStream } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { FreshStream } from './fresh.ts';
import type { FromChild, LoadPlan, ToChild } from './protocol.ts';

const send = (m: FromChild): void => {
  process.send?.(m);
};

let plan: LoadPlan | undefined;
let clients: MqttClient[] = [];
let stopping = false;

async function connectAll(p: LoadPlan): Promise<number> {
  const t0 = Date.now();
  const batch = 50; // connect in waves: 2,000 simultaneous CONNECTs would time out on 2 cores
  for (let i = 0; i < p.clients.length; i += batch) {
    const wave = p.clients.slice(i, i + batch).map(
      (c) =>
        new Promise<MqttClient>((resolve, reject) => {
          const client = mqtt.connect(p.url, {
            clientId: c.clientId,
            username: c.username,
            password: c.password,
            clean: true,
            reconnectPeriod: 0,
            connectTimeout: 30_000,
            keepalive: 120,
          });
          client.once('connect', () => {
            // Nagle adds ~19 ms per message at city-like rates (issue 7 measurement).
            const s = (client as unknown as { stream?: { setNoDelay?: (v: boolean) => void } }).stream;
            s?.setNoDelay?.(true);
            resolve(client);
          });
          client.once('error', reject);
        }),
    );
    clients.push(...(await Promise.all(wave)));
  }
  return Date.now() - t0;
}

/** How long in-flight publishes may take to be acknowledged after the run, before they count as unacked. */
const ACK_WAIT_MS = 120_000;

async function run(p: LoadPlan): Promise<void> {
  let published = 0;
  let acked = 0;
  let errors = 0;
  const t0 = Date.now();
  const deadline = t0 + p.durationMs;
  const ackedLog: WriteStream | undefined = p.ackedLog ? createWriteStream(p.ackedLog, { flags: 'a' }) : undefined;
  // Token bucket for a plan-wide rate (open loop across all busy devices).
  let tokens = 0;
  let lastRefill = t0;
  const refill = (): void => {
    if (p.ratePerSecond === undefined) return;
    const now = Date.now();
    tokens = Math.min(p.ratePerSecond, tokens + ((now - lastRefill) * p.ratePerSecond) / 1000);
    lastRefill = now;
  };
  const done = clients.map(
    (client, idx) =>
      new Promise<void>((resolve) => {
        const spec = p.clients[idx]!;
        const fresh = spec.fresh ? new FreshStream(spec.fresh, spec.payloads) : undefined;
        let inflight = 0;
        let n = 0;
        const publishOne = (): void => {
          const payload = fresh ? fresh.next(Date.now()) : spec.payloads[n % spec.payloads.length]!;
          n++;
          inflight++;
          published++;
          client.publish(spec.topic, payload, { qos: p.qos }, (err) => {
            inflight--;
            if (err) errors++;
            else {
              acked++;
              ackedLog?.write(`${JSON.stringify([idx, payload])}\n`);
            }
            if (p.qos === 0) return;
            if (spec.ratePerSecond === undefined) pump();
            else if (finished() && inflight === 0) resolve();
          });
          if (p.qos === 0) inflight--;
        };
        const finished = (): boolean => stopping || Date.now() >= deadline || (p.maxPerClient !== undefined && n >= p.maxPerClient);
        if (spec.ratePerSecond !== undefined) {
          // A device at its own fixed rate: sends on schedule whether or not earlier ones were acked
          // (open loop), starting at a random phase so devices do not publish in lockstep.
          const every = 1000 / spec.ratePerSecond;
          let next = t0 + Math.random() * every;
          const tick = (): void => {
            if (finished()) {
              if (inflight === 0) resolve();
              return;
            }
            while (Date.now() >= next && !finished()) {
              publishOne();
              next += every;
            }
            setTimeout(tick, Math.max(1, Math.min(next, deadline) - Date.now()));
          };
          setTimeout(tick, Math.max(0, Math.min(next, deadline) - Date.now()));
          return;
        }
        const pump = (): void => {
          if (finished()) {
            if (inflight === 0) resolve();
            return;
          }
          while (inflight < p.window) {
            if (p.maxPerClient !== undefined && n >= p.maxPerClient) break;
            if (p.ratePerSecond !== undefined) {
              refill();
              if (tokens < 1) {
                setTimeout(pump, 2);
                return;
              }
              tokens -= 1;
            }
            publishOne();
          }
          if (p.qos === 0) setImmediate(pump);
        };
        pump();
      }),
  );
  // Every publish of the run is waited for (acks that come late still count); only a wedged
  // system hits the bound, and what is still in flight then is reported as unacked, not hidden.
  await Promise.race([Promise.all(done), new Promise((r) => setTimeout(r, p.durationMs + ACK_WAIT_MS))]);
  // The log is complete before the result says how many were acknowledged.
  if (ackedLog) await new Promise<void>((r, j) => ackedLog.end((e?: Error | null) => (e ? j(e) : r())));
  send({ type: 'result', result: { published, acked, errors, elapsedMs: Date.now() - t0, unacked: published - acked - errors, connectMs: 0 } });
}

process.on('message', (m: ToChild) => {
  void (async () => {
    try {
      if (m.type === 'plan') {
        plan = m.plan;
        const connectMs = await connectAll(plan);
        send({ type: 'ready', connectMs });
      } else if (m.type === 'start' && plan) {
        await run(plan);
      } else if (m.type === 'stop') {
        stopping = true;
        await Promise.all(clients.map((c) => c.endAsync()));
        clients = [];
        process.exit(0);
      }
    } catch (err) {
      send({ type: 'error', message: (err as Error).message });
    }
  })();
});
