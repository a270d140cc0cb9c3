import { verifyPassword } from '../common/password.ts';

export interface EdgeCredential {
  id: string;
  /** `scrypt$<salt b64>$<hash b64>` (common/password.ts). */
  passwordHash: string;
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
