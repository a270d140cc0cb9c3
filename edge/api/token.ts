import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hashPassword } from '../../common/password.ts';
import { ScryptBudget } from '../auth/scrypt-budget.ts';

/**
 * Bearer token for the edge API's protected endpoints (`/deadletters`; issue 12). The site
 * config stores only its scrypt hash (`api.tokenHash`); `safestar edge token` makes a token and
 * prints both. The first correct token costs one scrypt, then its SHA-256 is remembered; wrong
 * tokens are remembered too and checks run one at a time, so guessing cannot load the thread
 * pool the outbox fsync needs. No hash configured: every request is refused.
 */
export type TokenCheck = (authorization: string | undefined) => Promise<boolean>;

export function createTokenCheck(tokenHash: string | undefined): TokenCheck {
  if (!tokenHash) return () => Promise.resolve(false);
  const budget = new ScryptBudget(1, 16);
  let good: Buffer | undefined;
  const bad = new Set<string>();
  return async (authorization) => {
    const m = /^Bearer\s+(\S{16,256})$/i.exec(authorization ?? '');
    if (!m) return false;
    const token = m[1] as string;
    const digest = createHash('sha256').update(token).digest();
    if (good && timingSafeEqual(good, digest)) return true;
    const hex = digest.toString('hex');
    if (bad.has(hex)) return false;
    const ok = await budget.verify(token, tokenHash);
    if (ok === true) {
      good = digest;
      return true;
    }
    if (ok === false) {
      if (bad.size >= 1000) bad.clear();
      bad.add(hex);
    }
    return false;
  };
}

/** A new random token and the hash to put in the site config's `api.tokenHash`. */
export function newApiToken(): { token: string; tokenHash: string } {
  const token = randomBytes(24).toString('base64url');
  return { token, tokenHash: hashPassword(token) };
}
