import type pg from 'pg';
import type { Policy } from '../policy/policy-schema.ts';
import { MISSED_HEARTBEATS } from '../index/device-tracker.ts';
import type { ConsoleEvent, ConsoleSource } from '../web/console/source.ts';
import type { AlarmStore } from './decision-stores.ts';

export interface PgConsoleSourceOptions {
  pool: pg.Pool;
  /** The alarms the owners write (read through the AlarmStore interface, like the decision routes). */
  alarms: AlarmStore;
  policy: Policy;
  now: () => number;
  /** How often the live stream looks for changes in PostgreSQL while a console is open. Default 2 s. */
  pollMs?: number;
}

/** Devices with no heartbeat on record (learned from events) count as the embedded tracker does. */
const DEFAULT_HEARTBEAT_S = 60;

/**
 * What the operator console reads on a cluster worker: the tables the partition owners write
 * (compounds, compound_ratings, the 'rate' rows of audit, alarms, device_last_seen, deadletters,
 * edge_credentials, districts). What a worker cannot know is null with its reason in `limits`.
 */
export function pgConsoleSource(o: PgConsoleSourceOptions): ConsoleSource {
  const weighed = (type: string): boolean => Object.hasOwn(o.policy.iot.weights, type);
  const listeners = new Set<(e: ConsoleEvent) => void>();
  let timer: NodeJS.Timeout | undefined;
  let last: { rate: string; alarms: string; dead: string } | undefined;
  let baseline: Promise<void> = Promise.resolve();

  // One poll per worker however many consoles are open, and only while one is.
  const poll = async (): Promise<void> => {
    try {
      const r = (await o.pool.query<{ rate: string; alarms: string; dead: string }>(
        `SELECT (SELECT coalesce(max(id), 0) FROM audit)::text AS rate,
                (SELECT count(*) || ':' || coalesce(max(decided_at), 0) || ':' || count(decided_at) FROM alarms) AS alarms,
                (SELECT coalesce(max(id), 0) FROM deadletters)::text AS dead`,
      )).rows[0]!;
      if (last) {
        const at = o.now();
        const fire = (e: ConsoleEvent) => { for (const fn of listeners) fn(e); };
        if (r.rate !== last.rate) fire({ type: 'rating', at });
        if (r.alarms !== last.alarms) fire({ type: 'alarm', at });
        if (r.dead !== last.dead) fire({ type: 'deadletters', at });
      }
      last = r;
    } catch {
      // PostgreSQL away for a moment: the next poll tries again; the page's own reads say the error.
    }
  };

  return {
    ready: () => true,
    now: o.now,
    timezoneOffsetMinutes: () => o.policy.timezoneOffsetMinutes,
    async ratings() {
      const r = await o.pool.query<{ id: string; name: string; district: string; stars: number | null; index: number | null }>(
        'SELECT c.id, c.name, c.district, r.stars, r.index FROM compounds c LEFT JOIN compound_ratings r ON r.compound = c.id ORDER BY c.id',
      );
      return r.rows.map((x) => ({ id: x.id, name: x.name, district: x.district, stars: x.stars, index: x.index ?? 0 }));
    },
    async districtNames() {
      return new Map((await o.pool.query<{ id: string; name: string }>('SELECT id, name FROM districts')).rows.map((r) => [r.id, r.name]));
    },
    async auditSince(from, limit) {
      // The owner's clock is in detail.at (rows written before it was: the database's time).
      const r = await o.pool.query<{ id: string; t: string; d: { compound: string; from: number | null; to: number | null; index: number; trigger: string } }>(
        `SELECT id, t, d FROM (
           SELECT id, coalesce((detail::jsonb->>'at')::bigint, (extract(epoch FROM at) * 1000)::bigint) AS t, detail::jsonb AS d
           FROM audit WHERE action = 'rate') x
         WHERE t >= $1 ORDER BY id DESC LIMIT $2`,
        [Math.max(from, -9e15), limit],
      );
      return r.rows.map((x) => ({ seq: Number(x.id), compound: x.d.compound, at: Number(x.t), fromStars: x.d.from, toStars: x.d.to, index: x.d.index, trigger: x.d.trigger }));
    },
    async alarms(f) {
      // Over-fetch, then keep the types the policy weighs (the alarms the embedded hub opens).
      return (await o.alarms.list({ ...f, limit: f.limit * 2 })).filter((a) => weighed(a.type)).slice(0, f.limit);
    },
    async devices() {
      const now = o.now();
      const r = await o.pool.query<{ id: string; compound: string; heartbeat_s: number | null; last_time: string | null; last_type: string | null }>(
        `SELECT coalesce(d.id, s.device) AS id, coalesce(d.compound, s.compound) AS compound, d.heartbeat_s, s.last_time, s.last_type
         FROM devices d FULL JOIN device_last_seen s ON s.device = d.id`,
      );
      return r.rows.map((x) => {
        const lastSeen = x.last_time === null ? null : Number(x.last_time);
        const hb = (x.heartbeat_s ?? DEFAULT_HEARTBEAT_S) * 1000;
        // The embedded DeviceTracker's rule: heard within 3 heartbeats and not said 'offline'.
        return { id: x.id, compound: x.compound, lastSeen, online: lastSeen !== null && x.last_type !== 'offline' && now - lastSeen <= MISSED_HEARTBEATS * hb };
      });
    },
    async issuedEdges() {
      return (await o.pool.query<{ id: string; compounds: string[] }>('SELECT id, compounds FROM edge_credentials ORDER BY id')).rows.map((r) => ({ id: r.id, compounds: new Set(r.compounds) }));
    },
    edgeStates: async () => null,
    async deadLetters(recent) {
      const [s, r] = await Promise.all([
        o.pool.query<{ reason: string; count: string; last_at: string }>('SELECT reason, count(*) AS count, max(at) AS last_at FROM deadletters GROUP BY reason ORDER BY reason'),
        recent > 0 ? o.pool.query<{ id: string; at: string; edge: string; reason: string; detail: string }>('SELECT id, at, edge, reason, detail FROM deadletters ORDER BY id DESC LIMIT $1', [recent]) : Promise.resolve({ rows: [] }),
      ]);
      return {
        summary: s.rows.map((x) => ({ reason: x.reason, count: Number(x.count), lastAt: Number(x.last_at) })),
        recent: r.rows.map((x) => ({ id: Number(x.id), at: Number(x.at), edge: x.edge, reason: x.reason, detail: x.detail })),
      };
    },
    async subscribe(fn) {
      if (!timer) {
        last = undefined;
        timer = setInterval(() => void poll(), o.pollMs ?? 2000);
        timer.unref();
        // The first poll is the baseline: changes after it are events.
        baseline = poll();
      }
      await baseline;
      listeners.add(fn);
      return () => {
        listeners.delete(fn);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    limits: {
      edges: 'a cluster worker does not hold the edges\' MQTT connections (the ingress processes do): edge connection states and what edges report they dead-lettered are null, devices count by their own last-seen time',
      live: `the live stream polls PostgreSQL every ${((o.pollMs ?? 2000) / 1000).toString()} s for new ratings, alarm changes and dead letters; it carries no edge events`,
    },
  };
}
