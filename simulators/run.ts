import type { MqttClient } from 'mqtt';
import type { City } from '../protocol/city.ts';
import type { DeviceKind } from '../protocol/devices.ts';
import { deviceTopic } from '../protocol/topics.ts';
import { compoundOf } from './city.ts';
import { planScenarios } from './scenarios/plan.ts';
import { CHECKED_BAD, sendBadTraffic } from './bad-sender.ts';
import type { EdgeApi } from './edge-answer.ts';
import { account, newReport, type Accountable, type SentMessage, type SimProgress, type SimReport } from './run-report.ts';
import type { BadSpec, ScenarioPlan, ScenarioSpec } from './scenarios/types.ts';
import { generateTraffic } from './traffic.ts';
import { connectDevice, dropConnection, publishQos1, type DeviceConnectOptions } from './transport.ts';

export type { BadOutcome, ConnectFailure, SentMessage, SimProgress, SimReport } from './run-report.ts';

/**
 * Devices over MQTT: one mqtt.js client per device, the traffic of generateTraffic() paced on
 * the wall clock, QoS 1. `expectedEvents` counts, for every message the broker PUBACKed, the
 * events the edge should make of it (plus the Last Wills the simulator triggered on purpose).
 * `onMessage` hands every published message and its outcome to a caller that reconciles by id
 * (the demo).
 *
 * Devices behave like devices: a connect that fails (the edge busy, the link down) or a link the
 * broker cuts is retried with exponential backoff and jitter for as long as the run lasts, never
 * given up. Only a run in which no device gets in at all stops at once (wrong broker, passwords
 * or CA: nothing would change by waiting).
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
  /**
   * How long one connect waits for CONNACK (default 30 s, what device firmware commonly uses). A
   * busy edge checks passwords slowly; giving up early only makes it check again on the retry.
   */
  connectTimeoutMs?: number;
  /** Connect retry backoff: first delay and cap (ms); each delay is jittered to 50–100 %. */
  connectRetry?: { baseMs?: number; maxMs?: number };
  /** The edge's local API: bad traffic is reported from the edge's own answer (edge-answer.ts). */
  edgeApi?: EdgeApi;
  /** Every published message with its outcome (and the Wills the broker sends for a device). */
  onMessage?: (m: SentMessage) => void;
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
  /** Failed connects in a row (the backoff exponent); 0 once it is in. */
  failures: number;
  /** A connect in progress, or a retry waiting on its timer. */
  connecting?: Promise<void>;
  retry?: NodeJS.Timeout;
  /** Bad traffic is being sent on its link: its own messages wait. */
  probing?: boolean;
  /** The edge may cut its link in answer to that bad traffic: not a lost connection. */
  expectCut?: boolean;
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
    for (const d of c.devices) devs.set(d.id, { id: d.id, kind: d.kind, topicState: deviceTopic(c.id, d.kind, d.id, 'state'), failures: 0, inflight: new Set() });
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
  // Aborts connects still waiting for CONNACK once the run stops (a busy edge can take seconds).
  const halt = new AbortController();
  const onStop = (): void => halt.abort();
  if (opts.signal?.aborted) halt.abort();
  opts.signal?.addEventListener('abort', onStop, { once: true });
  /** Devices whose link a scenario cut: they stay down until its `connect`. */
  const dropped = new Set<string>();
  const failures = new Map<string, SimReport['connectFailures'][number]>();
  const retryBase = opts.connectRetry?.baseMs ?? 250;
  const retryMax = opts.connectRetry?.maxMs ?? 8000;
  const scheduleRetry = (dev: Dev): void => {
    if (stopping || dev.retry || dev.client || dropped.has(dev.id)) return;
    const ceiling = Math.min(retryMax, retryBase * 2 ** Math.min(20, Math.max(0, dev.failures - 1)));
    // Jitter: a whole compound that lost its edge must not come back in one burst.
    const delay = Math.round(ceiling * (0.5 + Math.random() * 0.5));
    dev.retry = setTimeout(() => {
      dev.retry = undefined;
      void connect(dev);
    }, delay);
  };
  const connect = (dev: Dev): Promise<void> => {
    if (dev.connecting) return dev.connecting;
    if (dev.retry) {
      clearTimeout(dev.retry);
      dev.retry = undefined;
    }
    const p = connectOnce(dev).finally(() => {
      dev.connecting = undefined;
    });
    dev.connecting = p;
    return p;
  };
  const connectOnce = async (dev: Dev): Promise<void> => {
    const password = opts.passwords[dev.id];
    const r = await connectDevice({
      url: opts.brokerUrl, clientId: dev.id, username: dev.id, ...(password !== undefined ? { password } : {}),
      willTopic: dev.topicState, keepaliveS: opts.keepaliveS ?? 60, ...(opts.tls ? { tls: opts.tls } : {}),
      connectTimeoutMs: opts.connectTimeoutMs ?? 30_000, signal: halt.signal,
    });
    if (!r.ok && r.code === 'SS_SIM_CONNECT_ABORTED') return; // stopping: not a failure of the device
    if (!r.ok) {
      dev.failures++;
      report.connectAttemptsFailed++;
      const f = failures.get(dev.id) ?? { device: dev.id, code: r.code, reason: r.reason, attempts: 0, recovered: false };
      f.code = r.code;
      f.reason = r.reason;
      f.attempts++;
      if (!failures.has(dev.id)) {
        failures.set(dev.id, f);
        report.connectFailures.push(f);
      }
      // A connect abandoned before CONNACK may still have been accepted: the broker then sends
      // this device's Will when the socket goes. The caller may see an `offline` it cannot pin.
      if (r.code !== 'SS_SIM_CONNECT_REFUSED') opts.onMessage?.({ device: dev.id, channel: 'state', payload: 'offline', acked: false, will: true, possible: true });
      scheduleRetry(dev);
      return;
    }
    if (stopping) {
      await r.client.endAsync().catch(() => {});
      return;
    }
    dev.failures = 0;
    const f = failures.get(dev.id);
    if (f) f.recovered = true;
    dev.client = r.client;
    const client = r.client;
    client.on('close', () => {
      if (dev.client !== client) return; // we dropped or ended it on purpose
      dev.client = undefined;
      if (stopping) return;
      if (dev.expectCut) report.probeCuts++;
      else report.lostConnections++;
      // The broker sends this device's Will (`offline`) for the lost link.
      opts.onMessage?.({ device: dev.id, channel: 'state', payload: 'offline', acked: false, will: true });
      scheduleRetry(dev);
    });
    // Announce `online` after CONNACK (the Will says `offline` if the link dies).
    if (budget < 1) return;
    budget -= 1;
    report.sent++;
    await slot();
    const res = await publishQos1(r.client, dev.topicState, 'online');
    release();
    account(report, res.ok, onlineItem(dev));
    opts.onMessage?.({ device: dev.id, channel: 'state', payload: 'online', acked: res.ok });
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
    stopping = true;
    halt.abort();
    opts.signal?.removeEventListener('abort', onStop);
    for (const d of devs.values()) if (d.retry) clearTimeout(d.retry);
    await Promise.all([...devs.values()].map((d) => d.connecting));
    if (opts.signal?.aborted) {
      report.stoppedBy = 'signal'; // stopped while connecting: nobody failed
    } else {
      report.stoppedBy = 'no-devices';
      report.neverConnected = devs.size;
      report.errors += devs.size;
    }
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
      // A checked probe goes on the device's own link: its acknowledged traffic settles first
      // (the edge may cut the link in answer), and its own messages wait until the answer is in.
      const own = dev && !item.credentials && CHECKED_BAD.has(item.bad) ? dev : undefined;
      const p = (async (): Promise<void> => {
        if (own) {
          own.probing = true;
          if (own.inflight.size > 0) await Promise.race([Promise.all([...own.inflight]), sleep(2000)]);
          own.expectCut = true;
        }
        await slot();
        try {
          await sendBadTraffic(item, own ? own.client : dev?.client, {
            brokerUrl: opts.brokerUrl, passwords: opts.passwords, ...(opts.tls ? { tls: opts.tls } : {}), ...(opts.edgeApi ? { edgeApi: opts.edgeApi } : {}),
          }, report);
        } finally {
          release();
          if (own) own.probing = own.expectCut = false;
        }
      })();
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
        opts.onMessage?.({ device: dev.id, channel: 'state', payload: 'offline', acked: false, will: true });
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
    const client = dev.client;
    // Offline (dropped, refused, or retrying with backoff): this simulator loses what it would
    // have said meanwhile; nothing was published, so nothing is owed.
    if (!client?.connected || dev.probing) continue;
    budget -= item.expectedEvents;
    report.sent++;
    await slot();
    const p = publishQos1(client, item.topic, item.payload).then((res) => {
      release();
      account(report, res.ok, item);
      opts.onMessage?.({ device: item.device, channel: item.channel, payload: item.payload, acked: res.ok });
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
  halt.abort();
  opts.signal?.removeEventListener('abort', onStop);
  for (const d of devs.values()) if (d.retry) clearTimeout(d.retry);
  await Promise.all([...devs.values()].map((d) => d.connecting));
  await Promise.all([...devs.values()].map((d) => d.client?.endAsync().catch(() => {})));
  for (const f of report.connectFailures) if (!f.recovered) report.neverConnected++;
  report.errors += report.neverConnected;
  await Promise.race([drain, sleep(1000, drained.signal)]);
  drained.abort();
  if (timer) clearInterval(timer);
  progress();
  report.endMs = now();
  return report;
}
