import { scrypt, timingSafeEqual } from 'node:crypto';

export interface EdgeCredential {
  id: string;
  /** `scrypt$<salt b64>$<hash b64>` (the format edge/auth/password.ts writes). */
  passwordHash: string;
}

/** scrypt parameters of the shared hash format (N=16384, r=8, p=1; key length from the hash). */
const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export function verifyPassword(password: string | Buffer, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  if (parts.length !== 3 || parts[0] !== 'scrypt') return Promise.resolve(false);
  const salt = Buffer.from(parts[1]!, 'base64');
  const expected = Buffer.from(parts[2]!, 'base64');
  if (expected.length === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    scrypt(password, salt, expected.length, SCRYPT, (err, key) => {
      resolve(!err && key.length === expected.length && timingSafeEqual(key, expected));
    });
  });
}

/**
 * Edge authentication. With no credential list the hub runs in dev mode and accepts any edge
 * whose client id is a valid id (the hub logs a warning at start).
 */
export class EdgeAuth {
  private readonly byId: Map<string, string> | undefined;

  constructor(edges: readonly EdgeCredential[] | undefined) {
    this.byId = edges ? new Map(edges.map((e) => [e.id, e.passwordHash])) : undefined;
  }

  get devMode(): boolean {
    return this.byId === undefined;
  }

  async check(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<boolean> {
    // Client id and username must both be the edge id: ACLs key on it (an edge publishes only under its id).
    if (username !== undefined && username !== clientId) return false;
    if (!this.byId) return true;
    const hash = this.byId.get(clientId);
    if (!hash || !password) return false;
    return verifyPassword(password, hash);
  }
}
