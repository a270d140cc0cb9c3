import type { MqttClient } from 'mqtt';
import type { City } from '../protocol/city.ts';
import type { DeviceKind } from '../protocol/devices.ts';
import { deviceTopic } from '../protocol/topics.ts';
import { compoundOf } from './city.ts';
import { planScenarios } from './scenarios/plan.ts';
import { sendBadTraffic } from './bad-sender.ts';
import { account, newReport, type Accountable, type SimProgress, type SimReport } from './run-report.ts';
import type { BadSpec, ScenarioPlan, ScenarioSpec } from './scenarios/types.ts';
import { generateTraffic } from './traffic.ts';
import { connectDevice, dropConnection, publishQos1, type DeviceConnectOptions } from './transport.ts';

export type { BadOutcome, SimProgress, SimReport } from './run-report.ts';

/**
 * Devices over MQTT: one mqtt.js client per device, the traffic of generateTraffic() paced on
 * the wall clock, QoS 1. `expectedEvents` counts, for every message the broker PUBACKed, the
 * events the edge should make of it (plus the Last Wills the simulator triggered on purpose):
 * the demo reconciles it exactly with what the hub stored.
 */
export interface SimOptions {
  city: City;
  compoundIds: readonly string[];
  brokerUrl: string;
  /** deviceId → password (from siteConfigForCity). Devices without one connect without. */
  passwords: Readonly<Record<string, string>>;
  seed: number;
  /** Events-channel messages per second across the devices; omit for realistic rates. */
  ratePerSecond?: number;
  /** Default 'flat' when ratePerSecond is set (a load generator), else 'daily'. */
  rhythm?: 'daily' | 'flat';
  durationMs?: number;
  /** Stop once this many events are expected (never exceeds it); `online` messages count too. */
  maxEvents?: number;
  signal?: AbortSignal;
  onProgress?: (p: SimProgress) => void;
  progressEveryMs?: number;
  /** A ready plan (planScenarios()); its times must fall inside the run. */
  plan?: ScenarioPlan;
  /**
   * Or: incidents and bad traffic to plan once the devices are connected (use `afterMs` for
   * times relative to the start). The run is extended to cover them; the truth is in the report.
   */
  scenarios?: ScenarioSpec[];
  bad?: BadSpec[];
  /** Incident playback speed (see planScenarios). */
  speed?: number;
  heartbeats?: boolean;
  /** Max unacknowledged QoS 1 messages across all devices (bounded memory). */
  maxInflight?: number;
  connectConcurrency?: number;
  keepaliveS?: number;
  tls?: DeviceConnectOptions['tls'];
  /** How long to wait for in-flight PUBACKs at the end. */
  drainTimeoutMs?: number;
  byDevice?: boolean;
  /** Clock (injectable for tests); default Date.now. */
  now?: () => number;
}

interface Dev {
  id: string;
  kind: DeviceKind;
  topicState: string;
  client?: MqttClient;
  /** Last connect attempt (ms): a lost device retries at most once a second. */
  lastAttempt: number;
  /** The broker closed its link (not us): it reconnects on its next message. */
  lost?: boolean;
  /** This device's unacknowledged publishes (awaited before a deliberate drop). */
  inflight: Set<Promise<void>>;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function runSimulation(opts: SimOptions): Promise<SimReport> {
  const now = opts.now ?? Date.now;
  const maxInflight = opts.maxInflight ?? 2000;
  const report = newReport(now(), opts.byDevice === true);

  const devs = new Map<string, Dev>();
  for (const id of opts.compoundIds) {
    const c = compoundOf(opts.city, id);
    for (const d of c.devices) devs.set(d.id, { id: d.id, kind: d.kind, topicState: deviceTopic(c.id, d.kind, d.id, 'state'), lastAttempt: 0, inflight: new Set() });
  }
  report.devices = devs.size;
  if (opts.ratePerSecond !== undefined && devs.size > 0 && opts.ratePerSecond / devs.size > 40) {
    // Edges rate-limit each device (site config maxMessagesPerDevicePerSecond, 50 by default).
    report.warnings.push(`SS_SIM_RATE_PER_DEVICE: ${opts.ratePerSecond}/s over ${devs.size} devices is ${(opts.ratePerSecond / devs.size).toFixed(0)}/s per device; an edge limiting devices to ~50/s will refuse some; add compounds or lower --rate`);
  }
  let budget = opts.maxEvents ?? Infinity;
  let inflight = 0;
  const waiters: (() => void)[] = [];
  const release = (): void => {
    inflight--;
    waiters.shift()?.();
  };
  const slot = async (): Promise<void> => {
    while (inflight >= maxInflight) await new Promise<void>((r) => waiters.push(r));
    inflight++;
  };
  const pendingAll = new Set<Promise<void>>();
  const track = (p: Promise<void>): void => {
    pendingAll.add(p);
    void p.finally(() => pendingAll.delete(p));
  };

  const onlineItem = (dev: Dev): Accountable => ({
    device: dev.id,
    channel: 'state',
    expectedEvents: 1,
    intent: { kind: dev.kind, channel: 'state', time: now(), deviceTime: now(), events: [{ type: 'online', severity: 'info', attributes: {} }] },
  });

  let stopping = false;
  const connect = async (dev: Dev): Promise<void> => {
    dev.lastAttempt = now();
    const password = opts.passwords[dev.id];
    const r = await connectDevice({
      url: opts.brokerUrl, clientId: dev.id, username: dev.id, ...(password !== undefined ? { password } : {}),
      willTopic: dev.topicState, keepaliveS: opts.keepaliveS ?? 60, ...(opts.tls ? { tls: opts.tls } : {}),
    });
    if (!r.ok) {
      report.errors++;
      report.connectFailures.push({ device: dev.id, code: r.code, reason: r.reason });
      return;
    }
    dev.client = r.client;
    dev.lost = false;
    const client = r.client;
    client.on('close', () => {
      if (dev.client !== client) return; // we dropped or ended it on purpose
      dev.client = undefined;
      dev.lost = true;
      if (!stopping) report.lostConnections++;
    });
    // Announce `online` after CONNACK (the Will says `offline` if the link dies).
    if (budget < 1) return;
    budget -= 1;
    report.sent++;
    await slot();
    const res = await publishQos1(r.client, dev.topicState, 'online');
    release();
    account(report, res.ok, onlineItem(dev));
  };

  // Connect with bounded concurrency: a whole city must not SYN-flood its own edge.
  const all = [...devs.values()];
  const conc = opts.connectConcurrency ?? 50;
  for (let i = 0; i < all.length && !opts.signal?.aborted; i += conc) {
    await Promise.all(all.slice(i, i + conc).map(connect));
  }

  const startMs = now();
  report.startMs = startMs;
  if (![...devs.values()].some((d) => d.client)) {
    // Nobody got in (wrong broker, wrong passwords): say so now instead of idling until the end.
    report.stoppedBy = 'no-devices';
    report.endMs = now();
    return report;
  }
  let durationMs = opts.durationMs;
  let plan = opts.plan;
  if (opts.scenarios?.length || opts.bad?.length) {
    plan = planScenarios({
      city: opts.city, compoundIds: opts.compoundIds, seed: opts.seed, startMs, durationMs: durationMs ?? 3_600_000,
      ...(opts.scenarios ? { scenarios: opts.scenarios } : {}), ...(opts.bad ? { bad: opts.bad } : {}), ...(opts.speed ? { speed: opts.speed } : {}),
    });
  }
  if (plan) {
    report.truth = plan.truth;
    // Run until the last planned message is out (+2 s), whatever the duration said.
    const last = Math.max(...plan.messages.map((m) => m.at), startMs);
    if (durationMs !== undefined) durationMs = Math.max(durationMs, last - startMs + 2000);
  }
  const end = durationMs !== undefined ? startMs + durationMs : Infinity;
  const rhythm = opts.rhythm ?? (opts.ratePerSecond !== undefined ? 'flat' : 'daily');
  const traffic = generateTraffic({
    city: opts.city, compoundIds: opts.compoundIds, seed: opts.seed, startMs,
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(opts.ratePerSecond !== undefined ? { ratePerSecond: opts.ratePerSecond } : {}),
    rhythm, heartbeats: opts.heartbeats ?? true, states: false,
    ...(plan ? { plan } : {}),
  });

  let lastProgress = now();
  let lastAcked = 0;
  const every = opts.progressEveryMs ?? 1000;
  const progress = (): void => {
    const t = now();
    const rate = ((report.acked - lastAcked) * 1000) / Math.max(1, t - lastProgress);
    lastProgress = t;
    lastAcked = report.acked;
    let connected = 0;
    for (const d of devs.values()) if (d.client?.connected) connected++;
    opts.onProgress?.({ elapsedMs: t - startMs, sent: report.sent, acked: report.acked, errors: report.errors, expectedEvents: report.expectedEvents, rate, connected });
  };
  const timer = opts.onProgress ? setInterval(progress, every) : undefined;

  /** Devices whose link a scenario cut: they stay down until its `connect`. */
  const dropped = new Set<string>();
  let lastYield = now();
  for (const item of traffic) {
    if (opts.signal?.aborted) { report.stoppedBy = 'signal'; break; }
    if (item.t >= end) { report.stoppedBy = 'duration'; break; }
    if (budget <= 0) { report.stoppedBy = 'maxEvents'; break; }
    // Pace on the wall clock; a late publisher catches up without sleeping.
    const wait = item.t - now();
    if (wait > 1) {
      await sleep(wait, opts.signal);
      if (opts.signal?.aborted) { report.stoppedBy = 'signal'; break; }
    } else if (now() - lastYield > 20) {
      lastYield = now();
      await new Promise((r) => setImmediate(r));
    }
    const dev = devs.get(item.device);
    if (item.bad) {
      await slot();
      const p = sendBadTraffic(item, dev?.client, { brokerUrl: opts.brokerUrl, passwords: opts.passwords, ...(opts.tls ? { tls: opts.tls } : {}) }, report).finally(release);
      track(p);
      continue;
    }
    if (!dev) continue;
    if (item.action === 'drop') {
      if (dev.client?.connected) {
        // Let its in-flight messages be acknowledged first: a PUBACK lost in the cut would leave
        // an event stored by the edge but not counted here.
        if (dev.inflight.size > 0) await Promise.race([Promise.all([...dev.inflight]), sleep(2000)]);
        const c = dev.client;
        if (!c) continue;
        dev.client = undefined;
        dropped.add(dev.id);
        dropConnection(c);
        // The broker publishes the Will on our behalf: one `offline` event.
        report.willsTriggered++;
        report.expectedEvents += item.expectedEvents;
        report.byType['offline'] = (report.byType['offline'] ?? 0) + 1;
      }
      continue;
    }
    if (item.action === 'connect') {
      dropped.delete(dev.id);
      if (!dev.client) await connect(dev);
      continue;
    }
    if (item.expectedEvents > budget) continue; // never overshoot maxEvents
    // A device the broker cut off reconnects (at most once a second), as real ones do.
    if (!dev.client && dev.lost && !dropped.has(dev.id) && now() - dev.lastAttempt > 1000) await connect(dev);
    const client = dev.client;
    if (!client) continue; // offline (dropped or refused): a real device buffers or loses it
    budget -= item.expectedEvents;
    report.sent++;
    await slot();
    const p = publishQos1(client, item.topic, item.payload).then((res) => {
      release();
      account(report, res.ok, item);
    });
    track(p);
    dev.inflight.add(p);
    void p.finally(() => dev.inflight.delete(p));
  }
  if (report.stoppedBy === 'exhausted') {
    // The generator ends at the duration on its own.
    if (opts.signal?.aborted) report.stoppedBy = 'signal';
    else if (durationMs !== undefined) report.stoppedBy = 'duration';
  }

  // Wait for in-flight acknowledgements (bounded), then disconnect cleanly (no Wills).
  const drain = Promise.all([...pendingAll]);
  const drainTimeout = opts.drainTimeoutMs ?? 15_000;
  // The bounding timers are cancelled once the drain wins, or they would hold the process open.
  const drained = new AbortController();
  await Promise.race([drain, sleep(drainTimeout, drained.signal)]);
  stopping = true;
  await Promise.all([...devs.values()].map((d) => d.client?.endAsync().catch(() => {})));
  await Promise.race([drain, sleep(1000, drained.signal)]);
  drained.abort();
  if (timer) clearInterval(timer);
  progress();
  report.endMs = now();
  return report;
}
