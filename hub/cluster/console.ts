import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { TokenConfig } from '../cases/auth.ts';
import type { Policy } from '../policy/policy-schema.ts';
import { consoleSessions, mountConsole } from '../web/console/plugin.ts';
import { PgSessionStore } from '../web/console/session-pg.ts';
import type { ConsoleSessions } from '../web/console/sessions.ts';
import { pgConsoleSource } from './console-source.ts';
import { PgAlarmStore } from './decision-stores.ts';

export interface ClusterConsoleOptions {
  pool: pg.Pool;
  policy: Policy;
  tokens: TokenConfig;
  now: () => number;
  /** Live stream poll interval (ms); default 2 s. */
  pollMs?: number;
}

/**
 * The embedded hub's operator console (same routes, page, cookie and CSRF rules: mountConsole) on
 * a cluster worker: sessions in PostgreSQL, so every worker behind the load balancer honours a
 * login made on any of them; data from PostgreSQL. `sessions` is handed to the decision routes
 * so the console's confirm/dismiss buttons (cookie + CSRF header) go the cluster's decision path.
 */
export function clusterConsole(o: ClusterConsoleOptions): { sessions: ConsoleSessions; mount(app: FastifyInstance): void } {
  const sessions = consoleSessions(o.now, new PgSessionStore(o.pool));
  const source = pgConsoleSource({ pool: o.pool, alarms: new PgAlarmStore(o.pool), policy: o.policy, now: o.now, ...(o.pollMs ? { pollMs: o.pollMs } : {}) });
  return {
    sessions,
    // A worker serves plain http; the cookie is Secure when a trusted proxy says the browser used https.
    mount: (app) => mountConsole(app, { source, sessions, tokens: o.tokens, now: o.now, https: false }),
  };
}
