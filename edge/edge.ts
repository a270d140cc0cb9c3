import { join } from 'node:path';
import type { RouteOptions } from 'fastify';
import { pino, type Logger } from 'pino';
import type { SiteConfig } from '../protocol/site.ts';
import { buildApi } from './api/server.ts';
import { createMetrics } from './api/metrics.ts';
import { RecentEvents } from './api/recent.ts';
import { createTokenCheck } from './api/token.ts';
import { DeviceAuth } from './auth/device-auth.ts';
import { DeviceRegistry } from './auth/registry.ts';
import { startDeviceBroker } from './broker/embedded.ts';
import { attachToBroker } from './connectors/mqtt-attach.ts';
import { startOpcuaEvents } from './connectors/opcua-events.ts';
import { createDeviceMessages } from './pipeline/device-messages.ts';
import { validateSiteConfig } from './config.ts';
import { EdgeError, type EdgeCode } from './errors.ts';
import { HealthTracker } from './health/health.ts';
import { edgeStatus } from './health/status.ts';
import { LogLimiter } from './health/log-limit.ts';
import { Outbox } from './outbox/outbox.ts';
import { GroupCommitter } from './pipeline/committer.ts';
import { createIdMinter } from './pipeline/ids.ts';
import type { IngestContext } from './pipeline/ingest.ts';
import { EdgeTimeStandIn } from './pipeline/edge-time.ts';
import { createDeadLetterSeal } from './pipeline/deadletter-seal.ts';
import { IngestPool } from './pipeline/ingest-pool.ts';
import { ingest } from './pipeline/ingest.ts';
import { createPrivacy } from './pipeline/privacy.ts';
import { noopScorer, type Scorer } from './pipeline/scorer-port.ts';
import { resolvePrivacyKey } from './privacy-key.ts';
import { bump, newCounters } from './stats.ts';
import { uplinkTls } from './uplink/tls.ts';
import { Uplink } from './uplink/uplink.ts';

export { loadSiteConfig, validateSiteConfig } from './config.ts';
export { hashPassword, verifyPassword } from '../common/password.ts';
export type { Scorer } from './pipeline/scorer-port.ts';

export interface StartEdgeOptions {
  /** A pino logger, `true` for one on stderr, `false`/unset for silence. */
  log?: Logger | boolean;
  /** Epoch-ms clock (tests inject one). */
  clock?: () => number;
  /** Anomaly scorer (models/); default: none. */
  scorer?: Scorer;
  /**
   * A scorer was asked for (the CLI without --no-scorer): /health is degraded while none scores,
   * e.g. the model file is missing or did not load. Default: true when `scorer` is given.
   */
  scorerExpected?: boolean;
  /** Stall guard: longest wait for the scorer per group commit, ms (default 1000). */
  scoreTimeoutMs?: number;
  /** Shedding policy: a group commit above this many events skips the model for non-life-safety events (default 4000). */
  scorerShedAboveEvents?: number;
  /** Group-commit linger, ms (default 3). */
  commitLingerMs?: number;
  /** How often device silence is checked, ms (default 5000). */
  healthSweepMs?: number;
  /** A device is offline after this many missed heartbeat intervals (default 3). */
  missedHeartbeats?: number;
  /** A complete CONNECT must arrive within this, ms (default 5000). */
  connectTimeoutMs?: number;
  /** Sees every local API route as it is added (the route-coverage test lists them with it). */
  onRoute?: (route: RouteOptions) => void;
  /** Uplink reconnect period, ms (default 1000). */
  uplinkReconnectMs?: number;
  /** Reconnect the uplink when a batch waits this long for its PUBACK, ms (default 30000). */
  uplinkAckTimeoutMs?: number;
}

export interface EdgeStats {
  accepted: number;
  events: number;
  deadLettered: number;
  forwarded: number;
  outboxDepth: number;
}

export interface Edge {
  /** mqtt://127.0.0.1:PORT of the embedded broker for devices. */
  brokerUrl: string;
  /** http://127.0.0.1:PORT of the local API. */
  apiUrl: string;
  stats(): EdgeStats;
  /** Resolves when the outbox is empty (everything PUBACKed by the hub); rejects on timeout. */
  drain(timeoutMs: number): Promise<void>;
  /** Shut down once; later calls return the same promise. */
  close(): Promise<void>;
}

/** Oversized PUBLISH packets up to this are read through and dead-lettered (issue 12: poison messages). */
const DEFAULT_HARD_MAX_PACKET_BYTES = 8 * 1024 * 1024;

/** Clock policy default: 15 min covers NTP-less drift of weeks; 5 h off or a reset clock does not pass. */
const DEFAULT_MAX_SKEW_S = 900;

/** Start an edge node: broker, pipeline, outbox, uplink, health and API, wired together. */
export async function startEdge(config: SiteConfig, opts: StartEdgeOptions = {}): Promise<Edge> {
  const cfg = validateSiteConfig(config);
  const clock = opts.clock ?? Date.now;
  const log: Logger = typeof opts.log === 'object' ? opts.log : pino({ level: opts.log === true ? 'info' : 'silent' });
  const counters = newCounters();
  const registry = new DeviceRegistry(cfg);
  const health = new HealthTracker(registry, clock, opts.missedHeartbeats ?? 3);
  const recent = new RecentEvents(500);
  const privacyKey = resolvePrivacyKey(cfg.privacySecret, cfg.dataDir);
  const outbox = new Outbox(join(cfg.dataDir, 'outbox.sqlite'), { maxEvents: cfg.outbox.maxEvents, deadLetterSeal: createDeadLetterSeal(privacyKey.key) });
  const scorer = opts.scorer ?? noopScorer;
  const ctx: IngestContext = {
    edge: cfg.edge.id,
    timezone: cfg.timezone,
    maxPayloadBytes: cfg.broker.maxPayloadBytes,
    mintId: createIdMinter(cfg.edge.id, outbox.boot, clock),
    privacy: createPrivacy(privacyKey.key),
    maxSkewMs: (cfg.clockPolicy?.maxSkewSeconds ?? DEFAULT_MAX_SKEW_S) * 1000,
    standIn: new EdgeTimeStandIn(),
  };
  log.info({ edge: cfg.edge.id, devices: registry.size, outboxDepth: outbox.depth(), boot: outbox.boot, privacyKey: privacyKey.source }, 'edge starting');

  let uplink: Uplink | undefined;
  let linkErrorLogged = false;
  const scorerLog = new LogLimiter();
  const committer = new GroupCommitter({
    outbox,
    scorer,
    ...(opts.commitLingerMs !== undefined ? { lingerMs: opts.commitLingerMs } : {}),
    ...(opts.scoreTimeoutMs !== undefined ? { scoreTimeoutMs: opts.scoreTimeoutMs } : {}),
    ...(opts.scorerShedAboveEvents !== undefined ? { shedAboveEvents: opts.scorerShedAboveEvents } : {}),
    onCommitted(events, deadLetters, dropped) {
      counters.events += events.length;
      counters.deadLettered += deadLetters.length;
      counters.outboxDropped += dropped;
      for (const e of events) {
        bump(counters.eventsByKind, e.kind);
        if (e.clockSuspect) counters.clockSuspect++;
      }
      for (const d of deadLetters) bump(counters.deadLettersByCode, d.code);
      // Timeouts and errors are counted in onScorerMiss; here the batches no model looked at.
      const scoring = scorer.status().state;
      if (scoring !== 'ok' && events.length > 0) bump(counters.unscoredByReason, scoring === 'off' ? 'SS_EDGE_SCORER_OFF' : 'SS_EDGE_SCORER_DEGRADED', events.length);
      if (dropped > 0) log.warn({ dropped, code: 'SS_EDGE_OUTBOX_FULL' }, 'outbox bound reached; oldest non-life-safety events dropped');
      health.accepted(events);
      recent.push(events);
      uplink?.pump();
    },
    onScorerMiss(code, n, detail) {
      bump(counters.scorerMissesByCode, code);
      bump(counters.unscoredByReason, code, n);
      // Under overload every commit sheds: one line per code per 10 s, the counters count all.
      const suppressed = scorerLog.take(code, clock());
      if (suppressed !== undefined) log.warn({ code, events: n, detail, ...(suppressed > 0 ? { suppressedLines: suppressed } : {}) }, 'events written unscored');
    },
    onWriteError(err, waiting) {
      counters.writeErrors++;
      log.error({ code: 'SS_EDGE_OUTBOX_WRITE', err: err.message, waiting }, 'outbox write failed; devices get no PUBACK and will resend');
    },
  });

  const workers = cfg.pipeline?.workers ?? 0;
  const pool = workers === 0 ? undefined : new IngestPool({
    workers,
    data: {
      edge: ctx.edge, timezone: ctx.timezone, maxPayloadBytes: ctx.maxPayloadBytes, maxSkewMs: ctx.maxSkewMs,
      privacyKey: privacyKey.key,
      devices: cfg.devices.map((d) => ({ device: d, district: registry.get(d.id)!.district })),
    },
    fallback: (j) => ingest(ctx, j.entry, j.channel, j.topic, j.payload, j.receivedAt),
    standIn: ctx.standIn,
    onWorkerStopped(why, retried, restarted) {
      counters.ingestWorkerStops++;
      counters.ingestRetried += retried;
      log.error({ code: 'SS_EDGE_INGEST_WORKER', err: why, retried, restarted }, restarted
        ? 'ingest worker stopped; its messages were ingested on the main thread, worker restarted'
        : 'ingest worker stopped too often; its devices are ingested on the main thread from now on');
    },
  });
  const { onPublish, edgeEvent } = createDeviceMessages({
    ctx, health, committer, counters, clock, maxMessagesPerDevicePerSecond: cfg.broker.maxMessagesPerDevicePerSecond,
    ...(pool ? { pool } : {}),
  });

  const refusalLog = new LogLimiter();
  const onRefused = (code: EdgeCode, detail: string, device?: string): void => {
    bump(counters.refusedByCode, code);
    const now = clock();
    if (device) health.refused(device, code, detail, now);
    const suppressed = refusalLog.take(`${code}/${device ?? ''}`, now);
    if (suppressed !== undefined) log.warn({ code, device, detail, ...(suppressed > 0 ? { suppressed } : {}) }, 'refused');
  };

  let broker: { url: string; connections(): number; close(): Promise<void> } | undefined;
  // Threads loaded before the broker takes devices (a cold thread under load takes seconds).
  await pool?.ready();
  let api: Awaited<ReturnType<typeof buildApi>> | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  try {
    const attach = cfg.broker.attach;
    broker = attach
      ? await attachToBroker({
        url: attach.url,
        clientId: attach.clientId ?? cfg.edge.id,
        ...(attach.username !== undefined ? { username: attach.username } : {}),
        ...(attach.password !== undefined ? { password: attach.password } : {}),
        compounds: cfg.compounds.map((c) => c.id),
        registry,
        onPublish,
        onForeign(code, topic, payload, reason, done) {
          counters.accepted++;
          bump(counters.refusedByCode, code);
          committer.submit([], [{ at: clock(), device: '', topic, code, reason, payload }], done);
        },
        onConnectionChange(connected) {
          log.info({ connected, url: attach.url }, connected ? 'attached to the site broker' : 'site broker link down');
        },
        onError(err) {
          log.warn({ err: err.message }, 'site broker error');
        },
      })
      : await startDeviceBroker({
      host: cfg.broker.host,
      port: cfg.broker.port,
      ...(cfg.broker.tls ? { tls: cfg.broker.tls } : {}),
      maxConnections: cfg.broker.maxConnections,
      maxPendingPerAddress: cfg.broker.maxPendingConnectionsPerAddress ?? Math.max(50, Math.floor(cfg.broker.maxConnections / 4)),
      ...(cfg.broker.maxConnectionsPerAddress !== undefined ? { maxConnectionsPerAddress: cfg.broker.maxConnectionsPerAddress } : {}),
      // Payload + topic (≤ ~100 bytes here) + headers: anything bigger is not a device message.
      guard: {
        maxPacketBytes: cfg.broker.maxPayloadBytes + 512,
        hardMaxPacketBytes: cfg.broker.hardMaxPacketBytes ?? DEFAULT_HARD_MAX_PACKET_BYTES,
        connectTimeoutMs: opts.connectTimeoutMs ?? 5000,
      },
      auth: new DeviceAuth(registry, cfg.allowAnonymousDevices === true, { clock }),
      hooks: {
        onPublish,
        onRefused,
        onConnection(entry, connected) {
          health.connection(entry.device.id, connected);
        },
      },
    });
    const b = broker;
    uplink = new Uplink({
      url: cfg.uplink.url,
      edgeId: cfg.edge.id,
      // The hub authenticates edges by username = edge id unless the config says otherwise.
      username: cfg.uplink.username ?? cfg.edge.id,
      ...(cfg.uplink.password !== undefined ? { password: cfg.uplink.password } : {}),
      ...(cfg.uplink.caFile || cfg.uplink.certFile ? { tls: uplinkTls(cfg.uplink) } : {}),
      batchSize: cfg.uplink.batchSize,
      maxInflightBatches: cfg.uplink.maxInflightBatches,
      outbox,
      devices: registry.size,
      clock,
      deadLetters: () => Object.fromEntries(counters.deadLettersByCode),
      ...(opts.uplinkReconnectMs !== undefined ? { reconnectPeriodMs: opts.uplinkReconnectMs } : {}),
      ...(opts.uplinkAckTimeoutMs !== undefined ? { ackTimeoutMs: opts.uplinkAckTimeoutMs } : {}),
      onForwarded(n) {
        counters.forwarded += n;
      },
      onConnectionChange(connected) {
        linkErrorLogged = false;
        log.info({ connected, url: cfg.uplink.url }, connected ? 'hub link up' : 'hub link down; events wait in the outbox');
      },
      onError(err) {
        // One warning per outage, not one per reconnect attempt.
        log[linkErrorLogged ? 'debug' : 'warn']({ err: err.message, url: cfg.uplink.url }, 'uplink error; retrying');
        linkErrorLogged = true;
      },
    });
    const up = uplink;
    const metrics = createMetrics({
      counters,
      outboxDepth: () => outbox.depth(),
      outboxOldestAt: () => outbox.oldestAt(),
      uplink: () => up.stats(),
      connections: () => b.connections(),
      online: () => health.onlineByCompound(),
      offline: () => health.offlineCount(),
      clockSuspectDevices: () => health.clockSuspectDevices(),
      clock,
    });
    api = await buildApi({
      health: () => {
        const u = up.stats();
        const online = [...health.onlineByCompound().values()].reduce((a, v) => ({ online: a.online + v.online, total: a.total + v.total }), { online: 0, total: 0 });
        const oldest = outbox.oldestAt();
        const offline = health.offlineCount();
        const scoring = scorer.status();
        const st = edgeStatus({
          uplinkConnected: u.connected, devicesOffline: offline, devicesTotal: online.total, outboxDepth: outbox.depth(), outboxMaxEvents: cfg.outbox.maxEvents,
          scorerExpected: opts.scorerExpected ?? opts.scorer !== undefined, scorerState: scoring.state,
        });
        return {
          status: st.status,
          reasons: st.reasons,
          edge: cfg.edge.id,
          uplink: { connected: u.connected, url: cfg.uplink.url, inflightBatches: u.inflightBatches, lastAckAt: u.lastAckAt ?? null },
          outbox: {
            depth: outbox.depth(), oldestAgeS: oldest === undefined ? 0 : Math.round((clock() - oldest) / 1000), maxEvents: cfg.outbox.maxEvents,
            dropped: counters.outboxDropped,
          },
          devices: { ...online, offline, clockSuspect: health.clockSuspectDevices() },
          connections: b.connections(),
          scorer: scoring,
          unscored: Object.fromEntries(counters.unscoredByReason),
          // Ingest threads (pipeline.workers): batches sent, threads that stopped, messages redone here.
          pipeline: { workers, batches: pool?.stats.batches ?? 0, workerStops: counters.ingestWorkerStops, retried: counters.ingestRetried },
          opcua: connectors.map((c, i) => ({ url: cfg.opcua?.[i]?.url, ...c.stats() })),
          counters: statsNow(),
        };
      },
      devices: () => health.list(),
      device: (id) => health.view(id),
      recent: (limit, device) => (device ? recent.list(500).filter((e) => e.device === device).slice(0, limit) : recent.list(limit)),
      deadLetters: (limit, before, device) => outbox.deadLetters(limit, before, device),
      authorize: createTokenCheck(cfg.api.tokenHash),
      metrics,
      ...(opts.onRoute ? { onRoute: opts.onRoute } : {}),
    });
    await api.listen({ host: cfg.api.host, port: cfg.api.port });
  } catch (e) {
    await api?.close().catch(() => undefined);
    await broker?.close().catch(() => undefined);
    await uplink?.close().catch(() => undefined);
    await pool?.close().catch(() => undefined);
    outbox.close();
    throw e;
  }

  const connectors = await startOpcuaEvents({ cfg, registry, health, committer, ctx, clock, log, edgeEvent });

  sweepTimer = setInterval(() => {
    const now = clock();
    const changes = health.sweep(now);
    if (changes.length === 0) return;
    const events = changes.map((t) => edgeEvent(t, now));
    counters.edgeEvents += events.length;
    committer.submit(events, [], () => undefined);
  }, opts.healthSweepMs ?? 5000);
  sweepTimer.unref();

  function statsNow(): EdgeStats {
    return { accepted: counters.accepted, events: counters.events, deadLettered: counters.deadLettered, forwarded: counters.forwarded, outboxDepth: outbox.depth() };
  }

  const addr = api.server.address();
  const apiPort = typeof addr === 'object' && addr ? addr.port : cfg.api.port;
  const apiHost = cfg.api.host === '0.0.0.0' || cfg.api.host === '::' ? '127.0.0.1' : cfg.api.host;
  let closing: Promise<void> | undefined;
  const b = broker;
  const a = api;
  const u = uplink;
  return {
    brokerUrl: b.url,
    apiUrl: `http://${apiHost}:${apiPort}`,
    stats: statsNow,
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if ((pool?.pending() ?? 0) === 0 && committer.pending() === 0 && outbox.depth() === 0) return;
        if (closing) throw new EdgeError('SS_EDGE_CLOSED');
        if (Date.now() > deadline) throw new EdgeError('SS_EDGE_DRAIN_TIMEOUT', `${outbox.depth()} events still in the outbox after ${timeoutMs} ms`);
        u.pump();
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close() {
      closing ??= (async () => {
        clearInterval(sweepTimer);
        await Promise.all(connectors.map((c) => c.close()));
        await a.close();
        await b.close();
        // Messages still on an ingest thread reach the committer before its last flush.
        await pool?.close();
        await committer.flush();
        await u.close();
        await scorer.close?.();
        outbox.close();
        log.info({ edge: cfg.edge.id, ...statsNow() }, 'edge stopped');
      })();
      return closing;
    },
  };
}
