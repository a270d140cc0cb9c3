import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { City } from '../protocol/city.ts';
import { checkCity } from '../protocol/city.ts';
import { describeProblems } from '../protocol/validate.ts';
import { buildApi, type ApiPlugin } from './api/app.ts';
import { cachedLocations } from './store/locations.ts';
import type { HealthReport } from './api/context.ts';
import type { TlsOptions } from 'node:tls';
import { EdgeAuth, type EdgeSource } from './auth.ts';
import { HubBus } from './bus.ts';
import { EdgeStatus } from './edge-status.ts';
import { startHubBroker, type HubBroker } from './broker.ts';
import { HUB_ERRORS, HubError } from './errors.ts';
import { GroupCommitter } from './ingest/committer.ts';
import { DurableIngest } from './ingest/durable.ts';
import { MAX_BATCH_BYTES, parseBatch, type DeadLetterDraft } from './ingest/parse.ts';
import { createHubMetrics } from './metrics.ts';
import { IndexRating } from './index/hub-rating.ts';
import type { RatingEngine } from './rating/types.ts';
import type { DeadLetterRow } from './store/ingestDb.ts';
import { InfluxWriter, WRITER_DEFAULTS, type InfluxTarget, type WriterOptions } from './store/influxWriter.ts';
import { StateDb } from './store/stateDb.ts';
import { DEAD_LETTERS_KEPT, DEDUPE_RETENTION_MS } from './store/retention.ts';

export interface HubOptions {
  /** SQLite files live here (ingest.db: queue/dedupe/dead letters; state.db: compounds, ratings). */
  dataDir: string;
  /** Embedded aedes; port 0 = pick a free one. */
  mqtt: { host: string; port: number };
  /** Fastify; port 0 = pick a free one. */
  api: { host: string; port: number };
  /** Absent = no time-series store: events wait in the durable queue (said once in the log and in /health). */
  influx?: InfluxTarget;
  /** Registers districts/compounds/devices (upsert). */
  city?: City;
  /**
   * Edge credentials (id, scrypt hash, compounds): a list, or a live view such as
   * `() => credentialStore.edges()`. Absent = accept any edge for any compound (insecure dev
   * mode: a warning is logged; `safestar hub` refuses to start so unless given --insecure-dev).
   */
  edges?: EdgeSource;
  /**
   * TLS for the API (https) and MQTT (mqtts): PEM key and certificate. `clientCa` (PEM): edges must
   * also present a client certificate signed by it (on top of their secret).
   */
  tls?: { key: string | Buffer; cert: string | Buffer; clientCa?: string | Buffer };
  /** Who may read the dead letters (GET /api/deadletters): e.g. operator tokens. Absent = nobody. */
  isOperator?: (authorization: string | undefined) => boolean;
  /** Largest MQTT packet an edge may send (bytes); larger ones cut the connection. Default MAX_BATCH_BYTES + 64 KiB. */
  mqttMaxPacketBytes?: number;
  /**
   * Proxies whose X-Forwarded-For is believed (addresses or CIDRs, fastify trustProxy): the client
   * address behind them is what rate limits key on. Default none: the socket's address is used.
   */
  trustedProxies?: readonly string[];
  /** A pino logger, true (info to stdout), false (silent). Default true. */
  log?: Logger | boolean;
  /**
   * The rating engine; default: the safety-index engine (hub/index/, the one users run) without
   * the cases API. `productHub()` adds the cases API and pages; tests may pass a configured one.
   */
  rating?: (ctx: HubContext) => RatingEngine;
  /** Sees every HTTP route as it is added (the route-coverage test lists them with it). */
  onRoute?: (route: RouteOptions) => void;
  /** Extra API routes (cases, confirmations, …), registered after the hub's own. */
  apiPlugins?: Array<(app: FastifyInstance, ctx: HubContext) => void | Promise<void>>;
  writer?: Partial<WriterOptions>;
  /** Group-commit window (ms). Default 2. */
  groupCommitMs?: number;
  /** How long event ids are remembered for dedupe (ms). Default 7 days. */
  dedupeRetentionMs?: number;
  /** Dead-letter records kept on disk (oldest pruned; counters keep totals). Default 100,000. */
  deadLetterKeep?: number;
  now?: () => number;
}

/** What plugins and rating engines get from the hub. */
export interface HubContext {
  state: StateDb;
  log: Logger;
  now: () => number;
  /** The live-update bus: ratings, alarms, dead letters and edges publish here (hub/bus.ts). */
  bus: HubBus;
  /** Connected edges, and the issued ones (with their compounds) for root-cause grouping. */
  edges: { status(): ReturnType<EdgeStatus['list']>; issued(): ReturnType<EdgeAuth['list']> };
  /** Dead letters on disk: by reason, and the newest (operators only: they hold what edges sent). */
  deadLetters: { summary(): { reason: string; count: number; lastAt: number }[]; recent(limit: number, reason?: string): DeadLetterRow[] };
  /** True when the hub serves https (cookies are then marked Secure). */
  https: boolean;
  /**
   * Dev mode (no city given): the rating learns compounds from events. With a registered city an
   * event for an unlisted compound (a typo, a foreign edge) is stored but never rated.
   */
  learnsCompounds?: boolean;
}

export interface HubStats {
  received: number;
  duplicates: number;
  deadLettered: number;
  queued: number;
  written: number;
}

export interface Hub {
  mqttUrl: string;
  apiUrl: string;
  rating: RatingEngine;
  stats(): HubStats;
  /** Resolves when nothing waits for a commit and the queue is empty (all in InfluxDB). */
  drain(timeoutMs: number): Promise<void>;
  /**
   * Shut down once: stop accepting, commit what is pending, stop writers, close sockets and files.
   * `writerGraceMs` (default 5 s) bounds the wait for InfluxDB writes in flight: what they carry is
   * still in the durable queue, so a write cut short is re-sent on the next start (same point
   * time, overwritten, never doubled). A Ctrl-C with a promised stop time passes a shorter one.
   */
  close(writerGraceMs?: number): Promise<void>;
}

function makeLogger(log: HubOptions['log']): Logger {
  if (log && typeof log === 'object') return log;
  return pino({ name: 'safestar-hub', level: log === false ? 'silent' : 'info' });
}

export async function startHub(opts: HubOptions): Promise<Hub> {
  const log = makeLogger(opts.log);
  const now = opts.now ?? Date.now;
  if (opts.city) {
    const c = checkCity(opts.city);
    if (!c.ok) throw new HubError('SS_HUB_CONFIG', `city is invalid: ${describeProblems(c.problems)}; regenerate it with 'safestar sim city'`);
  }
  mkdirSync(opts.dataDir, { recursive: true });
  // ingest.db's writes (and their fsyncs) run on the commit thread; this thread only reads it.
  let threadTrouble: (message: string) => void = () => {};
  const ingest = await DurableIngest.open(join(opts.dataDir, 'ingest.db'), now, (m) => threadTrouble(m));
  threadTrouble = (m) => log.error({ err: m }, 'SS_HUB_COMMIT: the commit thread stopped; it is restarted for the next batch, and unconfirmed batches are resent by their edges');
  let state: StateDb;
  try {
    state = new StateDb(join(opts.dataDir, 'state.db'));
  } catch (e) {
    await ingest.close();
    throw e;
  }
  if (opts.city) state.registerCity(opts.city);
  const bus = new HubBus();
  const edgeStatus = new EdgeStatus(bus, now);
  const auth = new EdgeAuth(opts.edges);
  const ctx: HubContext = {
    state,
    log,
    now,
    bus,
    edges: { status: () => edgeStatus.list(), issued: () => auth.list() },
    deadLetters: { summary: () => ingest.deadLetterSummary(), recent: (limit, reason) => ingest.deadLetters(limit, reason) },
    https: opts.tls !== undefined,
    learnsCompounds: !opts.city,
  };
  const rating = opts.rating ? opts.rating(ctx) : new IndexRating(ctx, opts.influx ? { history: { url: opts.influx.url, database: opts.influx.database } } : {});

  const counters = { received: 0, duplicates: 0, deadLettered: 0, written: 0 };
  let writer: InfluxWriter | undefined;
  let ratingLagS = 0;
  // `broker` is assigned below; the gauges only read it at scrape time.
  const metrics = createHubMetrics(
    () => ingest.queueDepth(),
    () => (writer ? (writer.isUp() ? 1 : 0) : -1),
    {
      stars: () => rating.list().map((r) => (r.rated === false ? null : r.stars)),
      edgesConnected: () => (broker ? broker.edgesConnected() : 0),
      devicesOffline: () => (rating as RatingEngine).devicesOffline?.(),
      ratingLagSeconds: () => ratingLagS,
    },
  );

  const recordDeadLetters = (items: readonly DeadLetterDraft[]): void => {
    if (items.length === 0) return;
    counters.deadLettered += items.length;
    const counts: Record<string, number> = {};
    for (const d of items) {
      metrics.deadLetters.inc({ reason: d.reason });
      counts[d.reason] = (counts[d.reason] ?? 0) + 1;
    }
    bus.publish({ type: 'deadletters', counts, at: now() });
  };

  if (opts.influx) {
    const target = { url: opts.influx.url.replace(/\/+$/, ''), database: opts.influx.database };
    writer = new InfluxWriter(ingest, target, { ...WRITER_DEFAULTS, ...opts.writer }, {
      written(points, ms) {
        counters.written += points;
        metrics.written.inc(points);
        metrics.writeSeconds.observe(ms / 1000);
      },
      deadLetters(items) {
        ingest.addDeadLetters(items).catch((e: Error) => log.error({ err: e.message, count: items.length }, 'SS_HUB_COMMIT: dead letters of refused lines could not be stored (the counters have them)'));
        recordDeadLetters(items);
      },
      state(up, reason) {
        if (up) log.info({ influx: target.url }, 'InfluxDB is reachable; writing the queue');
        else log.warn({ influx: target.url, reason, queued: ingest.queueDepth() }, `SS_HUB_INFLUX_DOWN: ${HUB_ERRORS.SS_HUB_INFLUX_DOWN}`);
      },
    });
    // A reused database (fresh data folder, same InfluxDB) already fixed some field types: adopt
    // them before the first line is built, or those lines would be refused as type conflicts.
    const adopted = ingest.adoptFieldTypes(await writer.fieldTypes());
    if (adopted) log.info({ adopted }, 'field types adopted from InfluxDB');
    writer.start();
  } else {
    log.warn({ queued: ingest.queueDepth() }, `SS_HUB_NO_TSDB: ${HUB_ERRORS.SS_HUB_NO_TSDB}; set --influx or SAFESTAR_INFLUX_URL to store them`);
  }
  if (auth.devMode) log.warn('INSECURE DEV MODE: no edge credentials configured; any client may connect as any edge and publish for any compound');

  const committer = new GroupCommitter(ingest, { windowMs: opts.groupCommitMs ?? 2, maxEvents: 5_000 }, (batches, results) => {
    for (let i = 0; i < batches.length; i++) {
      const r = results[i]!;
      counters.duplicates += r.duplicates;
      if (r.duplicates) metrics.duplicates.inc(r.duplicates);
      recordDeadLetters(batches[i]!.deadLetters);
      if (r.accepted.length) {
        try {
          rating.onEvents(r.accepted);
          let newest = 0;
          for (const e of r.accepted) if (e.receivedAt > newest) newest = e.receivedAt;
          ratingLagS = Math.max(0, (now() - newest) / 1000);
        } catch (e) {
          // The events are durable and will be stored; only the live rating missed them.
          log.error({ err: (e as Error).message }, 'SS_HUB_RATING: the rating engine failed on accepted events');
        }
      }
    }
    metrics.batches.inc(batches.length);
    writer?.kick();
  });

  let closed = false;
  const refusalLog = new Map<string, { at: number; suppressed: number }>();
  let broker: HubBroker | undefined;
  try {
    const mqttTls: TlsOptions | undefined = opts.tls && {
      key: opts.tls.key,
      cert: opts.tls.cert,
      ...(opts.tls.clientCa ? { ca: opts.tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
    };
    broker = await startHubBroker({ host: opts.mqtt.host, port: opts.mqtt.port, auth, maxPacketBytes: opts.mqttMaxPacketBytes ?? MAX_BATCH_BYTES + 65_536, ...(mqttTls ? { tls: mqttTls } : {}) }, {
      batch(edge, payload, scope, done) {
        if (closed) return done(new HubError('SS_HUB_CLOSED', 'hub is shutting down; the edge will resend'));
        const parsed = parseBatch(payload, edge, scope);
        counters.received += parsed.items;
        metrics.received.inc(parsed.items);
        committer.submit({ events: parsed.events, deadLetters: parsed.deadLetters }, (err) => {
          if (err) log.error({ edge, err: err.message }, 'SS_HUB_COMMIT: could not commit a batch; the edge will resend it');
          done(err);
        });
      },
      deadLetter(d) {
        committer.submit({ events: [], deadLetters: [d] }, () => {});
      },
      refused(code, detail) {
        metrics.refused.inc({ code });
        // A storm of refusals must not become a storm of log lines: one per code per second, with a count.
        const t = now();
        const l = refusalLog.get(code);
        if (l && t - l.at < 1000) {
          l.suppressed++;
          return;
        }
        log.warn({ code, ...(l?.suppressed ? { suppressed: l.suppressed } : {}) }, `${code}: ${detail}`);
        refusalLog.set(code, { at: t, suppressed: 0 });
      },
      edgeConnection: (edge, up) => edgeStatus.connected(edge, up),
      edgeState: (edge, payload) => edgeStatus.reported(edge, payload),
      log,
    });
  } catch (e) {
    await writer?.stop(1000);
    await ingest.close();
    state.close();
    throw e;
  }

  const health = (): HealthReport => {
    const influx = writer ? (writer.isUp() === undefined ? 'unknown' : writer.isUp() ? 'up' : 'down') : 'disabled';
    const queueDepth = ingest.queueDepth();
    const problems: string[] = [];
    if (influx === 'disabled') problems.push(`SS_HUB_NO_TSDB: ${HUB_ERRORS.SS_HUB_NO_TSDB} (${queueDepth} queued)`);
    if (influx === 'down') problems.push(`SS_HUB_INFLUX_DOWN: ${HUB_ERRORS.SS_HUB_INFLUX_DOWN} (${queueDepth} queued)`);
    return { status: problems.length ? 'degraded' : 'ok', influx, queueDepth, counters: stats(), problems };
  };
  const stats = (): HubStats => ({ ...counters, queued: ingest.queueDepth() });

  let app: FastifyInstance | undefined;
  let apiUrl: string;
  try {
    app = await buildApi(
      { health, rating, metrics: metrics.registry, deadLetters: (limit, reason) => ingest.deadLetters(limit, reason), locations: cachedLocations(state), ...(opts.isOperator ? { isOperator: opts.isOperator } : {}) },
      (opts.apiPlugins ?? []).map((p): ApiPlugin => (a) => p(a, ctx)),
      { ...(opts.tls ? { https: { key: opts.tls.key, cert: opts.tls.cert } } : {}), ...(opts.trustedProxies?.length ? { trustProxy: [...opts.trustedProxies] } : {}), ...(opts.onRoute ? { onRoute: opts.onRoute } : {}) },
    );
    await app.listen({ host: opts.api.host, port: opts.api.port });
    const addr = app.server.address();
    apiUrl = `${opts.tls ? 'https' : 'http'}://${opts.api.host}:${typeof addr === 'object' && addr ? addr.port : opts.api.port}`;
  } catch (e) {
    await app?.close();
    await broker.close();
    await writer?.stop(1000);
    await ingest.close();
    state.close();
    throw e;
  }

  const retention = opts.dedupeRetentionMs ?? DEDUPE_RETENTION_MS;
  const timers = [
    setInterval(() => rating.persist?.(), 10_000),
    setInterval(() => {
      ingest.prune(now() - retention, opts.deadLetterKeep ?? DEAD_LETTERS_KEPT).catch((e: Error) => log.warn({ err: e.message }, 'dedupe/dead-letter pruning failed; it runs again in a minute'));
    }, 60_000),
    // When idle, the writer learns nothing about InfluxDB: probe so /health stays true.
    setInterval(() => {
      if (writer && writer.busy() === 0) void writer.ping();
    }, 5_000),
  ];
  for (const t of timers) t.unref();
  if (writer) void writer.ping();
  log.info({ mqtt: broker.url, api: apiUrl }, 'hub started');

  let closing: Promise<void> | undefined;
  return {
    mqttUrl: broker.url,
    apiUrl,
    rating,
    stats,
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (committer.pending() === 0 && ingest.queueDepth() === 0 && ingest.inFlight() === 0) return;
        if (!writer) throw new HubError('SS_HUB_NO_TSDB', `${ingest.queueDepth()} events wait in the queue and no InfluxDB is configured; start the hub with --influx to drain it`);
        if (closed) throw new HubError('SS_HUB_CLOSED', 'cannot drain a closed hub');
        if (Date.now() >= deadline) {
          throw new HubError('SS_HUB_DRAIN_TIMEOUT', `${ingest.queueDepth()} events still queued after ${timeoutMs} ms (InfluxDB ${health().influx}); check /health`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close(writerGraceMs = 5_000) {
      closing ??= (async () => {
        closed = true;
        for (const t of timers) clearInterval(t);
        await broker.close();
        await committer.settle();
        await writer?.stop(writerGraceMs);
        try {
          rating.persist?.();
          rating.close?.();
        } catch (e) {
          log.error({ err: (e as Error).message }, 'rating could not be persisted on close');
        }
        await app.close();
        await ingest.close();
        state.close();
        log.info('hub closed');
      })();
      return closing;
    },
  };
}
