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

export interface ConsoleOptions {
  /** The index engine (alarms, audit, devices); absent = the data routes answer 503. */
  engine: () => IndexRating | undefined;
  /** Shared with the cases API, so the console's session may confirm alarms there. */
  sessions: ConsoleSessions;
  tokens?: TokenConfig;
  districts?: readonly CityDistrict[];
  sse?: Partial<SseOptions>;
}

/** A fresh session store on the hub's clock (share the one object with safetyIndex({ sessions })). */
export function consoleSessions(now: () => number = Date.now): ConsoleSessions {
  return new ConsoleSessions({ ...SESSION_DEFAULTS, now });
}

/**
 * The operator console at `/` as a hub API plugin: login (/login), the console page, its JSON and
 * its live stream. Everything but /login answers only an operator (session or bearer token).
 */
export function consolePlugin(opts: ConsoleOptions): (app: FastifyInstance, ctx: HubContext) => void {
  return (app, ctx) => {
    const auth = new CaseAuth(opts.tokens ?? tokensFromEnv());
    opts.sessions.bindClock(ctx.now);
    const streams = new SseStreams({ ...SSE_DEFAULTS, max: 100, ...opts.sse });
    // Open streams would hold app.close() up: end them before the server stops.
    app.addHook('preClose', async () => streams.closeAll());
    const isOperator = (req: FastifyRequest): boolean =>
      req.headers.authorization ? auth.identify(req.headers.authorization)?.kind === 'operator' : opts.sessions.principal(req) !== undefined;

    app.get('/', { schema: page('The operator console', 'HTML; without a session it redirects to /login.') }, async (req, reply) => {
      if (!opts.sessions.of(req)) return reply.code(303).header('location', '/login').header('cache-control', 'no-store').send();
      return sendHtml(reply, 200, consolePage());
    });
    app.get('/login', { schema: page('Console login page', 'HTML form: paste an operator token.') }, async (req, reply) => {
      if (opts.sessions.of(req)) return reply.code(303).header('location', '/').header('cache-control', 'no-store').send();
      return sendHtml(reply, 200, loginPage());
    });
    consoleAuthRoutes(app, { auth, sessions: opts.sessions, failures: new RateLimiter({ limit: 20, windowMs: 10 * 60_000, maxKeys: 10_000 }, ctx.now), secure: ctx.https });
    consoleDataRoutes(app, { engine: opts.engine, ctx, isOperator, districtNames: new Map((opts.districts ?? []).map((d) => [d.id, d.name])), streams });
  };
}
