import { randomBytes, scrypt as scryptCb, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes of devices (site config `passwordHash`) and of edges at the hub (`--edges`):
 * `scrypt$<salt b64>$<hash b64>`, one implementation for both.
 * scrypt N=2^12, r=8, p=1, 32-byte key: ~16 ms per check on this machine, paid once per CONNECT
 * (and cached per connection secret, see edge/auth/device-auth.ts), never per message. N=2^14 took 46 ms:
 * 2,000 devices reconnecting after an edge restart would queue for a minute on a 2-core box.
 * Device passwords are machine-generated, so the hash guards a leaked config file, not weak
 * human passwords. The parameters are fixed (the format does not carry them) so hashes made by
 * other tools (the simulators, the hub's edge credentials) always verify.
 */
const PARAMS: ScryptOptions = { N: 4_096, r: 8, p: 1, maxmem: 32 * 1024 * 1024 };
const KEY_LEN = 32;
const PREFIX = 'scrypt$';

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, KEY_LEN, PARAMS);
  return `${PREFIX}${salt.toString('base64')}$${key.toString('base64')}`;
}

function parse(hash: string): { salt: Buffer; key: Buffer } | undefined {
  if (!hash.startsWith(PREFIX)) return undefined;
  const parts = hash.slice(PREFIX.length).split('$');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  const salt = Buffer.from(parts[0], 'base64');
  const key = Buffer.from(parts[1], 'base64');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { salt, key };
}

/** Synchronous check (tools, tests). A malformed hash never verifies. */
export function verifyPasswordSync(password: string | Buffer, hash: string): boolean {
  const p = parse(hash);
  if (!p) return false;
  const got = scryptSync(password, p.salt, p.key.length, PARAMS);
  return timingSafeEqual(got, p.key);
}

/** Async check (the broker's CONNECT path: scrypt runs on the libuv pool, not the event loop). */
export function verifyPassword(password: string | Buffer, hash: string): Promise<boolean> {
  const p = parse(hash);
  if (!p) return Promise.resolve(false);
  const { salt, key } = p;
  return new Promise((resolve) => {
    scryptCb(password, salt, key.length, PARAMS, (err, got) => {
      resolve(!err && timingSafeEqual(got, key));
    });
  });
}
