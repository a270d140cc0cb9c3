import { verifyPassword } from '../common/password.ts';

export interface EdgeCredential {
  id: string;
  /** `scrypt$<salt b64>$<hash b64>` (common/password.ts). */
  passwordHash: string;
  /** The compounds this edge serves: events for any other compound are dead-lettered (SS_DL_EDGE_SCOPE). */
  compounds: readonly string[];
}

/** A fixed list, or a live view (the credentials file, re-read when it changes). */
export type EdgeSource = readonly EdgeCredential[] | (() => readonly EdgeCredential[]);

interface Known {
  hash: string;
  compounds: ReadonlySet<string>;
}

/**
 * Edge authentication and scope. With no source at all the hub runs in insecure dev mode and
 * accepts any edge whose client id is a valid id, for any compound (`safestar hub --insecure-dev`
 * and tests only; the CLI refuses to start that way unless told).
 *
 * The check runs in aedes' authenticate, i.e. before aedes registers the client: a client using
 * a real edge's id without its secret is refused there and never takes over the real session.
 */
export class EdgeAuth {
  private last: readonly EdgeCredential[] | undefined;
  private byId = new Map<string, Known>();

  constructor(private readonly source: EdgeSource | undefined) {}

  get devMode(): boolean {
    return this.source === undefined;
  }

  private known(): Map<string, Known> {
    const list = typeof this.source === 'function' ? this.source() : this.source ?? [];
    // Rebuilt only when the source hands out a new list (the store does so only after a change).
    if (list !== this.last) {
      this.last = list;
      this.byId = new Map(list.map((e) => [e.id, { hash: e.passwordHash, compounds: new Set(e.compounds) }]));
    }
    return this.byId;
  }

  async check(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<boolean> {
    // Client id and username must both be the edge id: ACLs key on it (an edge publishes only under its id).
    if (username !== undefined && username !== clientId) return false;
    if (this.devMode) return true;
    const k = this.known().get(clientId);
    if (!k || !password) return false;
    return verifyPassword(password, k.hash);
  }

  /** Every issued edge and its compounds (empty in dev mode: any edge may appear). */
  list(): { id: string; compounds: ReadonlySet<string> }[] {
    if (this.devMode) return [];
    return [...this.known()].map(([id, k]) => ({ id, compounds: k.compounds }));
  }

  /**
   * The compounds `edge` may publish for: undefined = any (dev mode); null = not a known edge any
   * more (revoked while connected: the broker disconnects it).
   */
  scope(edge: string): ReadonlySet<string> | undefined | null {
    if (this.devMode) return undefined;
    return this.known().get(edge)?.compounds ?? null;
  }
}
