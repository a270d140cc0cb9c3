import type { FreshSource } from './fresh.ts';

/** Messages between the benchmark driver and its load-generator child process. */
export interface LoadClient {
  clientId: string;
  username?: string;
  password?: string;
  topic: string;
  /** Payloads sent round-robin, or, with `fresh`, the first cycle of an endless distinct stream. */
  payloads: string[];
  /**
   * Fresh device messages without limit (loadgen/fresh.ts): after `payloads`, each message is
   * encoded anew with its own serial and the send time as device time (one second apart at
   * least), so no device message repeats however long or fast the client sends.
   */
  fresh?: FreshSource;
  /**
   * This device's own fixed rate (events/s, open loop): a device at a real device's rate. Absent =
   * a busy device, as fast as its window of unacknowledged publishes allows.
   */
  ratePerSecond?: number;
}

export interface LoadPlan {
  url: string;
  clients: LoadClient[];
  qos: 0 | 1;
  /** Max unacknowledged publishes per client (closed loop). */
  window: number;
  durationMs: number;
  /** Total publishes per second across clients; absent = as fast as acks allow. */
  ratePerSecond?: number;
  /** Publishes per client at most (absent = unbounded within durationMs). */
  maxPerClient?: number;
  /**
   * A file to which every acknowledged publish is appended as one JSON line, `[client index,
   * payload]`, so a suite can check each acknowledged message by its event id at the far end
   * (bench/lib/acked-ids.ts), not just compare counts. Costs the generator a write per ack: the
   * soak sets it, the throughput suites do not.
   */
  ackedLog?: string;
}

export interface LoadResult {
  published: number;
  acked: number;
  errors: number;
  elapsedMs: number;
  /** Publishes still unacknowledged when the generator gave up waiting (bounded wait after the run). */
  unacked: number;
  connectMs: number;
}

export type ToChild = { type: 'plan'; plan: LoadPlan } | { type: 'start' } | { type: 'stop' };
export type FromChild =
  | { type: 'ready'; connectMs: number }
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; message: string };
