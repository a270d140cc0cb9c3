import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../cases/auth.ts';

/** The console's session cookie (HttpOnly, SameSite=Strict, Secure on https). */
export const SESSION_COOKIE = 'ss_console';
/** State-changing requests from the console carry the session's CSRF token in this header. */
export const CSRF_HEADER = 'x-safestar-csrf';

export interface SessionOptions {
  /** How long a session lives after login (ms). Default 8 h: one operator shift. */
  ttlMs: number;
  /** Most live sessions; the oldest is dropped past this (a login flood cannot grow memory). */
  max: number;
  now: () => number;
}

interface Stored {
  csrf: string;
  expiresAt: number;
}

const digest = (id: string): string => createHash('sha256').update(id).digest('hex');
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of one cookie from a Cookie header (no library: one name, no attributes to read). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Operator sessions of the console. The browser never holds the operator's token after login:
 * it gets a random 256-bit session id in an HttpOnly cookie; only the id's SHA-256 is kept here,
 * with its expiry and a random CSRF token. In memory only: a hub restart logs everyone out.
 *
 * CSRF: the cookie is SameSite=Strict (no cross-site request carries it), and every request that
 * changes state must also send the session's CSRF token in `x-safestar-csrf` (a custom header a
 * cross-site form cannot set, holding a value a cross-site page cannot read).
 */
export class ConsoleSessions {
  private readonly byDigest = new Map<string, Stored>();

  private now: () => number;

  constructor(private readonly o: SessionOptions) {
    this.now = o.now;
  }

  /** Use the hub's clock (the store is made before the hub, the plugin binds it). */
  bindClock(now: () => number): void {
    this.now = now;
  }

  get size(): number {
    return this.byDigest.size;
  }

  get ttlMs(): number {
    return this.o.ttlMs;
  }

  create(): { id: string; csrf: string; expiresAt: number } {
    this.sweep();
    while (this.byDigest.size >= this.o.max) {
      const oldest = this.byDigest.keys().next().value;
      if (oldest === undefined) break;
      this.byDigest.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.o.ttlMs;
    this.byDigest.set(digest(id), { csrf, expiresAt });
    return { id, csrf, expiresAt };
  }

  /** The live session behind a session id, or undefined (unknown or expired: then forgotten). */
  get(id: string | undefined): { csrf: string; expiresAt: number } | undefined {
    if (!id || id.length > 100) return undefined;
    const d = digest(id);
    const s = this.byDigest.get(d);
    if (!s) return undefined;
    if (s.expiresAt <= this.now()) {
      this.byDigest.delete(d);
      return undefined;
    }
    return s;
  }

  revoke(id: string | undefined): void {
    if (id) this.byDigest.delete(digest(id));
  }

  /** The session of a request (cookie), whatever its method. */
  of(req: FastifyRequest): { id: string; csrf: string; expiresAt: number } | undefined {
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const s = this.get(id);
    return s && id ? { id, ...s } : undefined;
  }

  /**
   * The operator a request speaks for through its session: a safe method needs the cookie, any
   * other also the CSRF header. Routes that take bearer tokens ask this when there is none.
   */
  principal(req: FastifyRequest): Principal | undefined {
    const s = this.of(req);
    if (!s) return undefined;
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameText(sent, s.csrf)) return undefined;
    }
    return { kind: 'operator' };
  }

  private sweep(): void {
    const t = this.now();
    for (const [d, s] of this.byDigest) if (s.expiresAt <= t) this.byDigest.delete(d);
  }
}

export const SESSION_DEFAULTS = { ttlMs: 8 * 3_600_000, max: 1000 };
