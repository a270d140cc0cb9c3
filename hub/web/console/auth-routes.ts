import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { CaseAuth } from '../../cases/auth.ts';
import { webError } from '../errors.ts';
import type { RateLimiter } from '../rate-limit.ts';
import { CSRF_HEADER, SESSION_COOKIE, type ConsoleSessions } from './sessions.ts';
import { ErrorBody, LoginBody, SessionReply, TAG } from './schemas.ts';

export interface AuthRouteDeps {
  auth: CaseAuth;
  sessions: ConsoleSessions;
  /** Failed logins per client address (a token has 256 bits; this only keeps logs and CPU calm). */
  failures: RateLimiter;
  /**
   * Mark the cookie Secure always (the hub serves https). Otherwise it is Secure when the request
   * came over https, which behind a TLS-terminating proxy fastify reads from X-Forwarded-Proto
   * only if that proxy is trusted (--trusted-proxy); a direct client cannot unset it that way.
   */
  secure: boolean;
}

function cookie(value: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

/**
 * Browser login for operators: the token is pasted once into /login, exchanged for a session
 * cookie, and never stored in the browser. POST bodies must be JSON (fastify refuses a form's
 * content types), so a cross-site form cannot log a victim in either.
 */
export function consoleAuthRoutes(app: FastifyInstance, d: AuthRouteDeps): void {
  const sessionReply = (reply: FastifyReply, s: { csrf: string; expiresAt: number }) => reply.header('cache-control', 'no-store').send({ operator: true, csrf: s.csrf, expiresAt: s.expiresAt });

  app.post<{ Body: { token: string } }>('/api/console/login', {
    schema: {
      summary: 'Log in to the operator console',
      description: 'Exchanges an operator token for a session cookie (HttpOnly, SameSite=Strict, Secure on https) and returns the CSRF token the console sends on every POST.',
      tags: [TAG],
      body: LoginBody,
      response: { 200: SessionReply, 401: ErrorBody, 429: ErrorBody },
    },
  }, async (req, reply) => {
    const p = d.auth.identify(`Bearer ${req.body.token}`);
    if (p?.kind !== 'operator') {
      if (!d.failures.take(req.ip)) return reply.code(429).send(webError('SS_WEB_RATE_LIMITED', 'too many failed logins from this address'));
      return reply.code(401).send(webError('SS_WEB_LOGIN_INVALID', p ? `a ${p.kind} token cannot open the console` : 'unknown token'));
    }
    const s = await d.sessions.create();
    reply.header('set-cookie', cookie(s.id, Math.floor(d.sessions.ttlMs / 1000), d.secure || req.protocol === 'https'));
    return sessionReply(reply, s);
  });

  app.get('/api/console/session', {
    schema: {
      summary: 'The current console session',
      description: 'Answers the CSRF token of the session cookie sent, or 401 SS_WEB_SESSION.',
      tags: [TAG],
      response: { 200: SessionReply, 401: ErrorBody },
    },
  }, async (req, reply) => {
    const s = await d.sessions.of(req);
    if (!s) return reply.code(401).send(webError('SS_WEB_SESSION', 'no session'));
    return sessionReply(reply, s);
  });

  app.post('/api/console/logout', {
    schema: {
      summary: 'Log out of the operator console',
      description: `Ends the session of the cookie sent; needs the ${CSRF_HEADER} header.`,
      tags: [TAG],
      response: { 200: Type.Object({ operator: Type.Boolean() }), 401: ErrorBody, 403: ErrorBody },
    },
  }, async (req, reply) => {
    const s = await d.sessions.of(req);
    if (!s) return reply.code(401).send(webError('SS_WEB_SESSION', 'no session'));
    if (!(await d.sessions.principal(req))) return reply.code(403).send(webError('SS_WEB_CSRF', `missing or wrong ${CSRF_HEADER} header`));
    // Deleted from the store every process reads: a logout on one worker ends the session on all.
    await d.sessions.revoke(s.id);
    d.sessions.forget(req);
    reply.header('set-cookie', cookie('', 0, d.secure || req.protocol === 'https'));
    return { operator: false };
  });
}
