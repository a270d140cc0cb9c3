import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { Event } from '../protocol/event.ts';
import type { SiteConfig } from '../protocol/site.ts';
import { buildApi } from './api/server.ts';
import { createMetrics } from './api/metrics.ts';
import { RecentEvents } from './api/recent.ts';
import { DeviceAuth } from './auth/device-auth.ts';
import { DeviceRegistry, type DeviceEntry } from './auth/registry.ts';
import { startDeviceBroker } from './broker/embedded.ts';
import { attachToBroker } from './connectors/mqtt-attach.ts';
import type { OpcuaConnector } from './connectors/opcua.ts';
import { opcuaDraft } from './codecs/opcua-signal.ts';
import { RateLimiter } from './broker/rate-limit.ts';
import { validateSiteConfig } from './config.ts';
import { EdgeError, type EdgeCode } from './errors.ts';
import { HealthTracker, type HealthTransition } from './health/health.ts';
import { Outbox } from './outbox/outbox.ts';
import { GroupCommitter } from './pipeline/committer.ts';
import { createIdMinter } from './pipeline/ids.ts';
import { ingest, toEvent, type IngestContext } from './pipeline/ingest.ts';
import { createPrivacy } from './pipeline/privacy.ts';
import { noopScorer, type Scorer } from './pipeline/scorer-port.ts';
import { resolvePrivacyKey } from './privacy-key.ts';
import { bump, newCounters } from './stats.ts';
import { Uplink } from './uplink/uplink.ts';
import type { DeviceChannel } from '../protocol/topics.ts';

export { loadSiteConfig, validateSiteConfig } from './config.ts';
export { hashPassword, verifyPassword } from './auth/password.ts';
export type { Scorer } from './pipeline/scorer-port.ts';

export interface StartEdgeOptions {
  /** A pino logger, `true` for one on stderr, `false`/unset for silence. */
  log?: Logger | boolean;
  /** Epoch-ms clock (tests inject one). */
  clock?: () => number;
  /** Anomaly scorer (models/); default: none. */
  scorer?: Scorer;
  /** Longest wait for the scorer per group commit, ms (default 50). */
  scoreTimeoutMs?: number;
  /** Group-commit linger, ms (default 3). */
  commitLingerMs?: number;
  /** How often device silence is checked, ms (default 5000). */
  healthSweepMs?: number;
  /** A device is offline after this many missed heartbeat intervals (default 3). */
  missedHeartbeats?: number;
  /** A complete CONNECT must arrive within this, ms (default 5000). */
  connectTimeoutMs?: number;
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

/** Start an edge node: broker, pipeline, outbox, uplink, health and API, wired together. */
export async function startEdge(config: SiteConfig, opts: StartEdgeOptions = {}): Promise<Edge> {
  const cfg = validateSiteConfig(config);
  const clock = opts.clock ?? Date.now;
  const log: Logger = typeof opts.log === 'object' ? opts.log : pino({ level: opts.log === true ? 'info' : 'silent' });
  const counters = newCounters();
  const registry = new DeviceRegistry(cfg);
  const health = new HealthTracker(registry, clock, opts.missedHeartbeats ?? 3);
  const recent = new RecentEvents(500);
  const outbox = new Outbox(join(cfg.dataDir, 'outbox.sqlite'), { maxEvents: cfg.outbox.maxEvents });
  const privacyKey = resolvePrivacyKey(cfg.privacySecret, cfg.dataDir);
  const scorer = opts.scorer ?? noopScorer;
  const ctx: IngestContext = {
    edge: cfg.edge.id,
    timezone: cfg.timezone,
    maxPayloadBytes: cfg.broker.maxPayloadBytes,
    mintId: createIdMinter(cfg.edge.id, outbox.boot, clock),
    privacy: createPrivacy(privacyKey.key),
  };
  log.info({ edge: cfg.edge.id, devices: registry.size, outboxDepth: outbox.depth(), boot: outbox.boot, privacyKey: privacyKey.source }, 'edge starting');

  let uplink: Uplink | undefined;
  let linkErrorLogged = false;
  const committer = new GroupCommitter({
    outbox,
    scorer,
    ...(opts.commitLingerMs !== undefined ? { lingerMs: opts.commitLingerMs } : {}),
    ...(opts.scoreTimeoutMs !== undefined ? { scoreTimeoutMs: opts.scoreTimeoutMs } : {}),
    onCommitted(events, deadLetters, dropped) {
      counters.events += events.length;
      counters.deadLettered += deadLetters.length;
      counters.outboxDropped += dropped;
      for (const e of events) bump(counters.eventsByKind, e.kind);
      for (const d of deadLetters) bump(counters.deadLettersByCode, d.code);
      if (dropped > 0) log.warn({ dropped, code: 'SS_EDGE_OUTBOX_FULL' }, 'outbox bound reached; oldest non-life-safety events dropped');
      health.accepted(events);
      recent.push(events);
      uplink?.pump();
    },
    onScorerMiss(code, n, detail) {
      bump(counters.scorerMissesByCode, code);
      log.warn({ code, events: n, detail }, 'batch written unscored');
    },
    onWriteError(err, waiting) {
      counters.writeErrors++;
      log.error({ code: 'SS_EDGE_OUTBOX_WRITE', err: err.message, waiting }, 'outbox write failed; devices get no PUBACK and will resend');
    },
  });

  const edgeEvent = (t: HealthTransition, at: number): Event =>
    toEvent(ctx, t.entry, {
      kind: t.entry.device.kind, type: t.type, severity: t.type === 'offline' ? 'minor' : 'info', deviceTime: at,
      attributes: { origin: 'edge', reason: t.reason, silentS: t.silentS },
    }, at);

  const limiter = new RateLimiter(cfg.broker.maxMessagesPerDevicePerSecond);
  const onPublish = (entry: DeviceEntry, channel: DeviceChannel, topic: string, payload: Buffer, done: (err?: Error | null) => void): void => {
    const wait = limiter.take(entry.device.id, clock());
    if (wait > 0) {
      counters.rateLimited++;
      health.rateLimited(entry.device.id);
      setTimeout(handleMessage, wait, entry, channel, topic, payload, done);
      return;
    }
    handleMessage(entry, channel, topic, payload, done);
  };
  const handleMessage = (entry: DeviceEntry, channel: DeviceChannel, topic: string, payload: Buffer, done: (err?: Error | null) => void): void => {
    const now = clock();
    counters.accepted++;
    const back = health.seen(entry.device.id, now);
    const extra = back ? [edgeEvent(back, now)] : [];
    if (back) counters.edgeEvents++;
    const r = ingest(ctx, entry, channel, topic, payload, now);
    if (r.ok) {
      committer.submit(extra.length > 0 ? extra.concat(r.events) : r.events, [], done);
    } else {
      health.deadLettered(entry.device.id, r.deadLetter.code, r.deadLetter.reason, now);
      committer.submit(extra, [r.deadLetter], done);
    }
  };

  const onRefused = (code: EdgeCode, detail: string, device?: string): void => {
    bump(counters.refusedByCode, code);
    if (device) health.refused(device, code, detail, clock());
    log.warn({ code, device, detail }, 'refused');
  };

  let broker: { url: string; connections(): number; close(): Promise<void> } | undefined;
  let api: ReturnType<typeof buildApi> | undefined;
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
      // Payload + topic (≤ ~100 bytes here) + headers: anything bigger is not a device message.
      guard: { maxPacketBytes: cfg.broker.maxPayloadBytes + 512, connectTimeoutMs: opts.connectTimeoutMs ?? 5000 },
      auth: new DeviceAuth(registry, cfg.allowAnonymousDevices === true),
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
      batchSize: cfg.uplink.batchSize,
      maxInflightBatches: cfg.uplink.maxInflightBatches,
      outbox,
      devices: registry.size,
      clock,
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
      clock,
    });
    api = buildApi({
      health: () => {
        const u = up.stats();
        const online = [...health.onlineByCompound().values()].reduce((a, v) => ({ online: a.online + v.online, total: a.total + v.total }), { online: 0, total: 0 });
        const oldest = outbox.oldestAt();
        return {
          status: u.connected ? 'ok' : 'degraded',
          edge: cfg.edge.id,
          uplink: { connected: u.connected, url: cfg.uplink.url, inflightBatches: u.inflightBatches, lastAckAt: u.lastAckAt ?? null },
          outbox: { depth: outbox.depth(), oldestAgeS: oldest === undefined ? 0 : Math.round((clock() - oldest) / 1000), maxEvents: cfg.outbox.maxEvents },
          devices: online,
          connections: b.connections(),
          scorer: scorer.status(),
          opcua: connectors.map((c, i) => ({ url: cfg.opcua?.[i]?.url, ...c.stats() })),
          counters: statsNow(),
        };
      },
      devices: () => health.list(),
      device: (id) => health.view(id),
      recent: (limit, device) => (device ? recent.list(500).filter((e) => e.device === device).slice(0, limit) : recent.list(limit)),
      deadLetters: (limit, before, device) => outbox.deadLetters(limit, before, device),
      metrics,
    });
    await api.listen({ host: cfg.api.host, port: cfg.api.port });
  } catch (e) {
    await api?.close().catch(() => undefined);
    await broker?.close().catch(() => undefined);
    await uplink?.close().catch(() => undefined);
    outbox.close();
    throw e;
  }

  // OPC UA connectors: value changes → events (codecs/opcua-signal.ts). Previous values live here,
  // not in the connector, so a rebuilt session's initial values are not reported again.
  const opcuaPrev = new Map<string, unknown>();
  // node-opcua takes seconds to load: only sites with OPC UA endpoints pay for it.
  const opcuaMod = cfg.opcua && cfg.opcua.length > 0 ? await import('./connectors/opcua.ts') : undefined;
  const connectors: OpcuaConnector[] = (opcuaMod ? (cfg.opcua ?? []) : []).map((endpoint) => {
    const { OpcuaConnector, pkiDirFor } = opcuaMod as typeof import('./connectors/opcua.ts');
    const devices = [...new Set(endpoint.items.map((i) => i.device))];
    const c = new OpcuaConnector({
      endpoint,
      pkiDir: pkiDirFor(cfg.dataDir),
      clock,
      onValue({ item, value, time }) {
        const entry = registry.get(item.device);
        if (!entry) return;
        const now = clock();
        const key = `${endpoint.url}|${item.nodeId}`;
        const prev = opcuaPrev.get(key);
        opcuaPrev.set(key, value);
        const back = health.seen(entry.device.id, now);
        const events = back ? [edgeEvent(back, now)] : [];
        const attributes: Event['attributes'] = { source: 'opcua', node: item.nodeId.slice(0, 200) };
        if (item.zone !== undefined) attributes['zone'] = item.zone;
        const d = opcuaDraft(item.signal, entry.device.kind, prev, value, time, attributes);
        if (d) events.push(toEvent(ctx, entry, d, now));
        if (events.length > 0) committer.submit(events, [], () => undefined);
      },
      onAlive() {
        const now = clock();
        for (const id of devices) {
          const back = health.seen(id, now, false);
          const entry = registry.get(id);
          if (back && entry) committer.submit([edgeEvent(back, now)], [], () => undefined);
        }
      },
      onState(state, detail) {
        log[state === 'up' ? 'info' : 'warn']({ url: endpoint.url, state, detail }, `OPC UA ${state}`);
      },
    });
    c.start();
    return c;
  });

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
        if (committer.pending() === 0 && outbox.depth() === 0) return;
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
