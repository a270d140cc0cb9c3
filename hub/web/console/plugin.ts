import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CityDistrict } from '../../../protocol/city.ts';
import { CaseAuth, tokensFromEnv, type TokenConfig } from '../../cases/auth.ts';
import type { HubContext } from '../../hub.ts';
import type { IndexRating } from '../../index/hub-rating.ts';
import { sendHtml } from '../html.ts';
import { RateLimiter } from '../rate-limit.ts';
import { SSE_DEFAULTS, SseStreams, type SseOptions } from '../sse.ts';
import { consoleAuthRoutes } from './auth-routes.ts';
import { consoleDataRoutes } from './data-routes.ts';
import { consolePage, loginPage } from './page.ts';
import { page } from './schemas.ts';
import { ConsoleSessions, SESSION_DEFAULTS } from './sessions.ts';
import { SqliteSessionStore } from './session-sqlite.ts';
import type { SessionStore } from './session-store.ts';
import { embeddedSource } from './source-embedded.ts';
import type { ConsoleSource } from './source.ts';

export interface ConsoleOptions {
  /** The index engine (alarms, audit, devices); absent = the data routes answer 503. */
  engine: () => IndexRating | undefined;
  /** Shared with the cases API, so the console's session may confirm alarms there. */
  sessions: ConsoleSessions;
  tokens?: TokenConfig;
  districts?: readonly CityDistrict[];
  sse?: Partial<SseOptions>;
}

/**
 * A fresh session store on the hub's clock (share the one object with safetyIndex({ sessions })).
 * Without `store`, the console plugin puts the sessions in the hub's state.db (a restart keeps
 * operators logged in); a cluster worker gives its PostgreSQL store.
 */
export function consoleSessions(now: () => number = Date.now, store?: SessionStore): ConsoleSessions {
  return new ConsoleSessions({ ...SESSION_DEFAULTS, now, ...(store ? { store } : {}) });
}

/** What the console needs from the process that serves it (embedded hub or cluster worker). */
export interface ConsoleMount {
  source: ConsoleSource;
  sessions: ConsoleSessions;
  tokens: TokenConfig;
  now: () => number;
  /** The server speaks https itself: the cookie is always Secure. */
  https: boolean;
  sse?: Partial<SseOptions>;
}

/**
 * The operator console on any fastify app: login (/login), the console page, its JSON and its
 * live stream. Everything but /login answers only an operator (session or bearer token). The
 * embedded hub and cluster workers mount this same function; only the source and the session
 * store differ.
 */
export function mountConsole(app: FastifyInstance, m: ConsoleMount): void {
  const auth = new CaseAuth(m.tokens);
  const streams = new SseStreams({ ...SSE_DEFAULTS, max: 100, ...m.sse });
  // Open streams would hold app.close() up: end them before the server stops.
  app.addHook('preClose', async () => streams.closeAll());
  const isOperator = async (req: FastifyRequest): Promise<boolean> =>
    req.headers.authorization ? auth.identify(req.headers.authorization)?.kind === 'operator' : (await m.sessions.principal(req)) !== undefined;

  app.get('/', { schema: page('The operator console', 'HTML; without a session it redirects to /login.') }, async (req, reply) => {
    if (!(await m.sessions.of(req))) return reply.code(303).header('location', '/login').header('cache-control', 'no-store').send();
    return sendHtml(reply, 200, consolePage());
  });
  app.get('/login', { schema: page('Console login page', 'HTML form: paste an operator token.') }, async (req, reply) => {
    if (await m.sessions.of(req)) return reply.code(303).header('location', '/').header('cache-control', 'no-store').send();
    return sendHtml(reply, 200, loginPage());
  });
  consoleAuthRoutes(app, { auth, sessions: m.sessions, failures: new RateLimiter({ limit: 20, windowMs: 10 * 60_000, maxKeys: 10_000 }, m.now), secure: m.https });
  consoleDataRoutes(app, { source: m.source, isOperator, streams });
}

/** The operator console at `/` as an embedded-hub API plugin (sessions in the hub's state.db). */
export function consolePlugin(opts: ConsoleOptions): (app: FastifyInstance, ctx: HubContext) => void {
  return (app, ctx) => {
    opts.sessions.bind({ now: ctx.now, store: new SqliteSessionStore(ctx.state.db) });
    const names = new Map((opts.districts ?? []).map((d) => [d.id, d.name]));
    mountConsole(app, {
      source: embeddedSource(opts.engine, ctx, names),
      sessions: opts.sessions,
      tokens: opts.tokens ?? tokensFromEnv(),
      now: ctx.now,
      https: ctx.https,
      ...(opts.sse ? { sse: opts.sse } : {}),
    });
  };
}
