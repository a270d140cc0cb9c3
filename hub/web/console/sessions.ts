import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../cases/auth.ts';
import { MemorySessionStore, type SessionStore } from './session-store.ts';

/** The console's session cookie (HttpOnly, SameSite=Strict, Secure on https). */
export const SESSION_COOKIE = 'ss_console';
/** State-changing requests from the console carry the session's CSRF token in this header. */
export const CSRF_HEADER = 'x-safestar-csrf';

export interface SessionOptions {
  /** How long a session lives after login (ms). Default 8 h: one operator shift. */
  ttlMs: number;
  /** Most live sessions; the oldest is dropped past this (a login flood cannot grow the store). */
  max: number;
  now: () => number;
  /** Where sessions live; default memory until the console plugin binds the hub's state.db. */
  store?: SessionStore;
}

interface Live {
  id: string;
  csrf: string;
  expiresAt: number;
}

const digest = (id: string): string => createHash('sha256').update(id).digest('hex');
/**
 * The CSRF token of a session, derived from its id (another hash domain): the store holds
 * nothing it could leak, and any worker can answer it for the cookie it is shown.
 */
const csrfOf = (id: string): string => createHash('sha256').update(`safestar-console-csrf\0${id}`).digest('base64url');
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
 * it gets a random 256-bit session id in an HttpOnly cookie; the store (session-store.ts) keeps
 * only the id's SHA-256 with its expiry: memory, the embedded hub's state.db, or PostgreSQL for
 * cluster workers.
 *
 * CSRF: the cookie is SameSite=Strict (no cross-site request carries it), and every request that
 * changes state must also send the session's CSRF token in `x-safestar-csrf` (a custom header a
 * cross-site form cannot set, holding a value a cross-site page cannot read).
 */
export class ConsoleSessions {
  private now: () => number;
  private store: SessionStore;
  private readonly storeGiven: boolean;
  /** One store read per request, however many routes and hooks ask (cases API: gate + handler). */
  private readonly seen = new WeakMap<FastifyRequest, Promise<Live | undefined>>();

  constructor(private readonly o: SessionOptions) {
    this.now = o.now;
    this.store = o.store ?? new MemorySessionStore();
    this.storeGiven = o.store !== undefined;
  }

  /**
   * Use the hub's clock and, unless a store was given to the constructor, the hub's own store
   * (the sessions object is made before the hub; the console plugin binds it).
   */
  bind(o: { now: () => number; store?: SessionStore }): void {
    this.now = o.now;
    if (o.store && !this.storeGiven) this.store = o.store;
  }

  get ttlMs(): number {
    return this.o.ttlMs;
  }

  /** Live sessions now. */
  size(): Promise<number> {
    return this.store.count(this.now());
  }

  async create(): Promise<Live> {
    const id = randomBytes(32).toString('base64url');
    const t = this.now();
    const expiresAt = t + this.o.ttlMs;
    await this.store.put(digest(id), t, expiresAt, t, this.o.max);
    return { id, csrf: csrfOf(id), expiresAt };
  }

  /** The live session behind a session id, or undefined (unknown or expired: then forgotten). */
  async get(id: string | undefined): Promise<{ csrf: string; expiresAt: number } | undefined> {
    if (!id || id.length > 100) return undefined;
    const expiresAt = await this.store.get(digest(id), this.now());
    return expiresAt === undefined ? undefined : { csrf: csrfOf(id), expiresAt };
  }

  async revoke(id: string | undefined): Promise<void> {
    if (id) await this.store.delete(digest(id));
  }

  /** The session of a request (cookie), whatever its method. */
  of(req: FastifyRequest): Promise<Live | undefined> {
    let p = this.seen.get(req);
    if (!p) {
      const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
      p = id ? this.get(id).then((s) => (s ? { id, ...s } : undefined)) : Promise.resolve(undefined);
      this.seen.set(req, p);
    }
    return p;
  }

  /** Forget what this request's cookie resolved to (after logout, a later ask reads the store again). */
  forget(req: FastifyRequest): void {
    this.seen.delete(req);
  }

  /**
   * The operator a request speaks for through its session: a safe method needs the cookie, any
   * other also the CSRF header. Routes that take bearer tokens ask this when there is none.
   */
  async principal(req: FastifyRequest): Promise<Principal | undefined> {
    const s = await this.of(req);
    if (!s) return undefined;
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameText(sent, s.csrf)) return undefined;
    }
    return { kind: 'operator' };
  }
}

export const SESSION_DEFAULTS = { ttlMs: 8 * 3_600_000, max: 1000 };
