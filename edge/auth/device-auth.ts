import { createHash, timingSafeEqual } from 'node:crypto';
import type { DeviceEntry, DeviceRegistry } from './registry.ts';
import { LoginThrottle, type ThrottleOptions } from './login-throttle.ts';
import { ScryptBudget } from './scrypt-budget.ts';

/**
 * Device authentication for the broker's CONNECT. A device is found by its MQTT username (or its
 * client id when it sends no username and anonymous devices are allowed), then its password is
 * checked against the scrypt hash.
 *
 * Cost control (issue 12: a wrong-password storm for one real device id slowed every device):
 * - after one successful check the SHA-256 of the password is remembered per device, so a
 *   reconnect costs one hash, not one scrypt; that also lets the real device in while its id is
 *   throttled by someone else's guesses;
 * - the last few wrong passwords per device are remembered too (a device retrying a stale
 *   password, or a replayed guess, costs no scrypt);
 * - failures are throttled per source address and per device id (login-throttle.ts), and the
 *   checks for one device id run one after the other, so 200 parallel guesses for one id cost
 *   `freeFailures` scrypt checks, not 200;
 * - scrypt runs within its own concurrency budget (scrypt-budget.ts), leaving thread-pool
 *   threads for the outbox fsync.
 */
export type AuthFailure = 'SS_AUTH_UNKNOWN_DEVICE' | 'SS_AUTH_BAD_PASSWORD' | 'SS_AUTH_NO_PASSWORD' | 'SS_AUTH_CLIENT_ID' | 'SS_AUTH_THROTTLED' | 'SS_AUTH_BUSY';

export type AuthResult =
  | { ok: true; entry: DeviceEntry }
  | { ok: false; code: AuthFailure; returnCode: 3 | 4 | 5; device?: string; detail?: string };

export interface DeviceAuthOptions {
  throttle?: ThrottleOptions;
  /** Failures per address before its delays start (devices behind one NAT share it; default 10). */
  addressFreeFailures?: number;
  scryptConcurrency?: number;
  clock?: () => number;
}

const WRONG_REMEMBERED = 8;

export class DeviceAuth {
  private readonly verified = new Map<string, Buffer>();
  private readonly wrong = new Map<string, string[]>();
  private readonly byId: LoginThrottle;
  private readonly byAddress: LoginThrottle;
  private readonly budget: ScryptBudget;
  private readonly clock: () => number;
  /** Per device id: the tail of its chain of checks (one at a time). */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly registry: DeviceRegistry, private readonly allowAnonymous: boolean, o: DeviceAuthOptions = {}) {
    this.byId = new LoginThrottle(o.throttle);
    this.byAddress = new LoginThrottle({ ...o.throttle, freeFailures: o.addressFreeFailures ?? 10 });
    this.budget = new ScryptBudget(o.scryptConcurrency ?? 2);
    this.clock = o.clock ?? Date.now;
  }

  async authenticate(clientId: string, generatedClientId: boolean, username: string | undefined, password: Buffer | undefined, address = '?'): Promise<AuthResult> {
    const addrKey = `a:${address}`;
    const entry = this.registry.byUsername(username ?? clientId);
    if (!entry) {
      const blocked = this.byAddress.blockedFor(addrKey, this.clock());
      if (blocked > 0) return this.throttled(undefined, `address ${address} blocked for ${blocked} ms`);
      this.byAddress.failed(addrKey, this.clock());
      return { ok: false, code: 'SS_AUTH_UNKNOWN_DEVICE', returnCode: 5 };
    }
    const device = entry.device.id;
    // The topic ACL is keyed on the device, but tools and logs show client ids: they must agree.
    if (!generatedClientId && clientId !== device && clientId !== entry.username) {
      return { ok: false, code: 'SS_AUTH_CLIENT_ID', returnCode: 5, device };
    }
    const hash = entry.device.passwordHash;
    if (hash === undefined) {
      return this.allowAnonymous ? { ok: true, entry } : { ok: false, code: 'SS_AUTH_NO_PASSWORD', returnCode: 5, device };
    }
    if (password === undefined) return { ok: false, code: 'SS_AUTH_NO_PASSWORD', returnCode: 4, device };
    const digest = createHash('sha256').update(password).digest();
    const known = this.verified.get(device);
    // A password this device has proven before: accepted whatever the throttles say.
    if (known && timingSafeEqual(known, digest)) return { ok: true, entry };
    const prev = this.chains.get(device) ?? Promise.resolve();
    const run = prev.then(() => this.check(entry, password, digest, hash, addrKey, address));
    const tail = run.catch(() => undefined);
    this.chains.set(device, tail);
    void tail.then(() => {
      if (this.chains.get(device) === tail) this.chains.delete(device);
    });
    return run;
  }

  private async check(entry: DeviceEntry, password: Buffer, digest: Buffer, hash: string, addrKey: string, address: string): Promise<AuthResult> {
    const device = entry.device.id;
    const idKey = `d:${device}`;
    const now = this.clock();
    // The check before this one in the chain may have proven this very password.
    const known = this.verified.get(device);
    if (known && timingSafeEqual(known, digest)) return { ok: true, entry };
    const blockedId = this.byId.blockedFor(idKey, now);
    if (blockedId > 0) return this.throttled(device, `device ${device} blocked for ${blockedId} ms after ${this.byId.failures(idKey)} failures`);
    const blockedAddr = this.byAddress.blockedFor(addrKey, now);
    if (blockedAddr > 0) return this.throttled(device, `address ${address} blocked for ${blockedAddr} ms after ${this.byAddress.failures(addrKey)} failures`);
    const hex = digest.toString('hex');
    const wrong = this.wrong.get(device);
    let ok: boolean | 'busy';
    if (wrong?.includes(hex)) ok = false;
    else ok = await this.budget.verify(password, hash);
    if (ok === 'busy') return { ok: false, code: 'SS_AUTH_BUSY', returnCode: 3, device };
    if (ok) {
      this.verified.set(device, digest);
      this.wrong.delete(device);
      this.byId.succeeded(idKey);
      return { ok: true, entry };
    }
    const list = wrong ?? [];
    if (!list.includes(hex)) {
      list.push(hex);
      if (list.length > WRONG_REMEMBERED) list.shift();
    }
    this.wrong.set(device, list);
    const at = this.clock();
    this.byId.failed(idKey, at);
    this.byAddress.failed(addrKey, at);
    return { ok: false, code: 'SS_AUTH_BAD_PASSWORD', returnCode: 4, device };
  }

  private throttled(device: string | undefined, detail: string): AuthResult {
    return { ok: false, code: 'SS_AUTH_THROTTLED', returnCode: 5, ...(device !== undefined ? { device } : {}), detail };
  }

  /** Password checks running / waiting (for /health). */
  stats(): { running: number; waiting: number } {
    return this.budget.stats();
  }
}
