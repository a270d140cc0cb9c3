import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { edgeTopic } from '../../protocol/topics.ts';
import type { Outbox, OutboxRow } from '../outbox/outbox.ts';

/**
 * Edge → hub. An mqtt.js client (client id = edge id, clean: false, QoS 1) sends EventBatch JSON
 * on ss/v1/edge/{edge}/events, oldest first (life-safety rows ahead of the rest), with at most
 * `maxInflightBatches` unacknowledged batches, and deletes rows only on the hub's PUBACK.
 *
 * Across a link outage mqtt.js keeps its unacknowledged batches and resends them itself on
 * reconnect (clean: false), so the cursors below never rewind: rows are neither skipped nor
 * sent twice by us. Rows that were already in the outbox when the link came up (seq ≤ the
 * boundary taken at CONNACK) went out late: they are marked `backfilled: true`.
 * Across a process restart the cursors start at 0 and everything left in the outbox is replayed.
 *
 * Edge status: retained `ss/v1/edge/{edge}/state` JSON {v, edge, state, devices, at}; the Last
 * Will carries state "offline" and the device count, so one edge outage reaches the hub as one
 * message ("edge X offline, N devices affected"), not one alarm per device.
 */
export interface UplinkOptions {
  url: string;
  edgeId: string;
  username?: string;
  password?: string;
  /** For an mqtts:// hub: the CA to trust (PEM), and a client certificate + key if the hub asks for one. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  batchSize: number;
  maxInflightBatches: number;
  outbox: Outbox;
  devices: number;
  clock: () => number;
  onForwarded?: (n: number) => void;
  /** Dead letters by reason code: sent in the retained state message (the hub's console shows them). */
  deadLetters?: () => Record<string, number>;
  onConnectionChange?: (connected: boolean) => void;
  onError?: (err: Error) => void;
  reconnectPeriodMs?: number;
  /** A batch unacknowledged this long on a live link means a stuck session: reconnect (ms). */
  ackTimeoutMs?: number;
}

export interface UplinkStats {
  connected: boolean;
  inflightBatches: number;
  batchesSent: number;
  batchesAcked: number;
  forwarded: number;
  backfilled: number;
  reconnects: number;
  /** Receive time of the oldest event still waiting for the hub's PUBACK, ms (undefined = none). */
  lastAckAt: number | undefined;
}

export class Uplink {
  private readonly client: MqttClient;
  private lifeCursor = 0;
  private normalCursor = 0;
  private replayBoundary = 0;
  private inflight = 0;
  private closing = false;
  /** Send times of in-flight batches, oldest first (acks may come out of order; the minimum is what matters). */
  private readonly sentAt = new Set<{ at: number }>();
  private readonly watchdog: NodeJS.Timeout;
  private readonly topic: string;
  private readonly prefix: string;
  private readonly st: UplinkStats = {
    connected: false, inflightBatches: 0, batchesSent: 0, batchesAcked: 0, forwarded: 0, backfilled: 0, reconnects: 0, lastAckAt: undefined,
  };

  constructor(private readonly o: UplinkOptions) {
    this.topic = edgeTopic(o.edgeId, 'events');
    this.prefix = `{"v":1,"edge":${JSON.stringify(o.edgeId)},"events":[`;
    const stateTopic = edgeTopic(o.edgeId, 'state');
    const opts: IClientOptions = {
      clientId: o.edgeId,
      clean: false,
      reconnectPeriod: o.reconnectPeriodMs ?? 1000,
      connectTimeout: 10_000,
      keepalive: 30,
      will: { topic: stateTopic, payload: Buffer.from(this.statePayload('offline')), qos: 1, retain: true },
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      // mqtt.js verifies the hub's certificate (rejectUnauthorized defaults to true).
      ...(o.tls?.ca ? { ca: o.tls.ca } : {}),
      ...(o.tls?.cert ? { cert: o.tls.cert } : {}),
      ...(o.tls?.key ? { key: o.tls.key } : {}),
    };
    this.client = connect(o.url, opts);
    this.client.on('connect', () => {
      // Nagle would hold small batches back ~40 ms (issue 7: p50 19 ms → 0.16 ms with noDelay).
      (this.client.stream as Socket | undefined)?.setNoDelay?.(true);
      this.replayBoundary = Math.max(this.replayBoundary, this.o.outbox.maxSeq());
      this.st.connected = true;
      o.onConnectionChange?.(true);
      this.client.publish(stateTopic, this.statePayload('online'), { qos: 1, retain: true });
      this.pump();
    });
    this.client.on('close', () => {
      if (this.st.connected) {
        this.st.connected = false;
        this.st.reconnects++;
        o.onConnectionChange?.(false);
      }
    });
    this.client.on('error', (err) => o.onError?.(err));
    const ackTimeout = o.ackTimeoutMs ?? 30_000;
    this.watchdog = setInterval(() => {
      if (!this.client.connected) return;
      this.restate();
      const now = o.clock();
      for (const s of this.sentAt) {
        if (now - s.at > ackTimeout) {
          o.onError?.(new Error(`SS_EDGE_UPLINK_STUCK: a batch waited ${ackTimeout} ms for its PUBACK; reconnecting`));
          for (const x of this.sentAt) x.at = now; // give the resend a fresh deadline
          this.client.stream?.destroy();
          return;
        }
        break; // Set iteration is insertion order: the first is the oldest
      }
    }, Math.min(5000, ackTimeout / 2));
    this.watchdog.unref();
  }

  private statePayload(state: 'online' | 'offline'): string {
    const dl = state === 'online' ? this.o.deadLetters?.() : undefined;
    if (dl) this.lastDeadLetters = JSON.stringify(dl);
    return JSON.stringify({ v: 1, edge: this.o.edgeId, state, devices: this.o.devices, at: this.o.clock(), ...(dl ? { deadLetters: dl } : {}) });
  }

  private lastDeadLetters = '';

  /** Re-send the retained state when the dead-letter counts moved (at most once per watchdog tick). */
  private restate(): void {
    const dl = this.o.deadLetters?.();
    if (!dl || JSON.stringify(dl) === this.lastDeadLetters) return;
    this.client.publish(edgeTopic(this.o.edgeId, 'state'), this.statePayload('online'), { qos: 1, retain: true });
  }

  connected(): boolean {
    return this.st.connected;
  }

  stats(): UplinkStats {
    return { ...this.st, inflightBatches: this.inflight };
  }

  /** Send what the outbox holds, up to the in-flight bound. Call after every commit. */
  pump(): void {
    if (this.closing || !this.client.connected) return;
    while (this.inflight < this.o.maxInflightBatches) {
      const rows = this.o.outbox.next(this.lifeCursor, this.normalCursor, this.o.batchSize, this.o.outbox.durableSeq());
      if (rows.length === 0) return;
      this.send(rows);
    }
  }

  private send(rows: OutboxRow[]): void {
    let body = this.prefix;
    let backfilled = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as OutboxRow;
      if (r.life) this.lifeCursor = Math.max(this.lifeCursor, r.seq);
      else this.normalCursor = Math.max(this.normalCursor, r.seq);
      if (i > 0) body += ',';
      if (r.seq <= this.replayBoundary) {
        // Splice the flag into the stored JSON instead of parse + stringify: the body is an object.
        body += `${r.body.slice(0, -1)},"backfilled":true}`;
        backfilled++;
      } else {
        body += r.body;
      }
    }
    body += ']}';
    this.inflight++;
    this.st.batchesSent++;
    const sent = { at: this.o.clock() };
    this.sentAt.add(sent);
    this.client.publish(this.topic, body, { qos: 1 }, (err) => {
      this.inflight--;
      this.sentAt.delete(sent);
      if (err) {
        // mqtt.js gave up on this batch (client ending): rewind so the rows go again later.
        this.lifeCursor = 0;
        this.normalCursor = 0;
        this.o.onError?.(err);
        return;
      }
      this.st.batchesAcked++;
      this.st.lastAckAt = this.o.clock();
      const n = this.o.outbox.remove(rows);
      this.st.forwarded += n;
      this.st.backfilled += backfilled;
      this.o.onForwarded?.(n);
      this.pump();
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.watchdog);
    const c = this.client;
    if (c.connected) {
      // A planned stop tells the hub the same thing the Last Will would have.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000); // a hub that never acks must not hold the shutdown
        c.publish(edgeTopic(this.o.edgeId, 'state'), this.statePayload('offline'), { qos: 1, retain: true }, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    // Give in-flight batches a moment to be acked, then stop; unacked rows stay in the outbox.
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => c.end(true, {}, () => resolve()), 2000);
      c.end(false, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
