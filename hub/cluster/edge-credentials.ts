import type pg from 'pg';
import { hashPassword } from '../../common/password.ts';
import { isSafeId } from '../../protocol/ids.ts';
import type { EdgeCredential } from '../auth.ts';
import { checkEdgeGrant, newEdgeSecret } from '../credentials.ts';
import { HubError } from '../errors.ts';

/**
 * Edge credentials of cluster mode, in PostgreSQL (migration 7: `edge_credentials`), so every
 * ingress process authenticates edges against one list and a revoke reaches all of them. The
 * same rules as the embedded hub's credentials.json (hub/credentials.ts): the secret is drawn from
 * the CSPRNG and shown once, only its scrypt hash is stored, each edge has its compound scope.
 */
export interface PgEdgeRow {
  id: string;
  compounds: string[];
  createdAt: number;
}

/** Issue (or re-issue: the old secret stops working) an edge's secret. Returns the secret, once. */
export async function addPgEdge(pool: pg.Pool, id: string, compounds: readonly string[], now: () => number = Date.now): Promise<string> {
  const scope = checkEdgeGrant(id, compounds);
  const secret = newEdgeSecret();
  await pool.query(
    `INSERT INTO edge_credentials (id, compounds, password_hash, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO UPDATE SET compounds = EXCLUDED.compounds, password_hash = EXCLUDED.password_hash, created_at = EXCLUDED.created_at`,
    [id, scope, hashPassword(secret), now()],
  );
  return secret;
}

export async function revokePgEdge(pool: pg.Pool, id: string): Promise<boolean> {
  const r = await pool.query('DELETE FROM edge_credentials WHERE id = $1', [id]);
  return (r.rowCount ?? 0) > 0;
}

export async function listPgEdges(pool: pg.Pool): Promise<PgEdgeRow[]> {
  const r = await pool.query<{ id: string; compounds: string[]; created_at: string }>('SELECT id, compounds, created_at FROM edge_credentials ORDER BY id');
  return r.rows.map((x) => ({ id: x.id, compounds: x.compounds, createdAt: Number(x.created_at) }));
}

export interface PgEdgeCredentialsOptions {
  /** How often the version row is polled: a revoke is in force on every ingress within this. */
  refreshMs?: number;
  log?: { warn(obj: object, msg: string): void };
}

interface Snapshot {
  version: number;
  edges: EdgeCredential[];
  skipped: string[];
}

async function read(pool: pg.Pool): Promise<Snapshot> {
  // One statement, one snapshot: the version and the rows it belongs to.
  const r = await pool.query<{ version: string; id: string | null; compounds: string[] | null; password_hash: string | null }>(
    'SELECT v.version, e.id, e.compounds, e.password_hash FROM edge_credentials_version v LEFT JOIN edge_credentials e ON true',
  );
  const version = Number(r.rows[0]?.version ?? -1);
  const edges: EdgeCredential[] = [];
  const skipped: string[] = [];
  for (const row of r.rows) {
    if (row.id === null) continue;
    // A row edited by hand into something the file store would refuse lets nobody in.
    if (!isSafeId(row.id) || !Array.isArray(row.compounds) || !row.compounds.every(isSafeId) || !row.password_hash?.startsWith('scrypt$')) skipped.push(String(row.id).slice(0, 64));
    else edges.push({ id: row.id, compounds: row.compounds, passwordHash: row.password_hash });
  }
  return { version, edges, skipped };
}

/**
 * The live view an ingress authenticates against (hub/auth.ts EdgeAuth takes `() => edges()`).
 * It polls one row (`edge_credentials_version`, bumped by a trigger on any change) and reloads
 * the table only when it moved; `edges()` hands out the same array until then, so EdgeAuth
 * rebuilds its map only after a change. If PostgreSQL is unreachable later, the last good list
 * stays in force (and `problem` says why): an outage neither stops the ingress nor lets anyone in.
 */
export class PgEdgeCredentials {
  private snap: Snapshot;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<boolean> | undefined;
  problem: string | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    first: Snapshot,
    private readonly o: PgEdgeCredentialsOptions,
  ) {
    this.snap = first;
    this.note(first);
  }

  /** Load once; an unreadable table at start is an error (SS_HUB_CREDENTIALS), never an open door. */
  static async open(pool: pg.Pool, o: PgEdgeCredentialsOptions = {}): Promise<PgEdgeCredentials> {
    let first: Snapshot;
    try {
      first = await read(pool);
    } catch (e) {
      throw new HubError('SS_HUB_CREDENTIALS', `cannot read edge_credentials from PostgreSQL: ${(e as Error).message}; run a worker (or this ingress) once to migrate the database, then issue credentials with 'safestar hub edges add EDGE-ID --compounds … --pg URL'`);
    }
    return new PgEdgeCredentials(pool, first, o);
  }

  edges(): readonly EdgeCredential[] {
    return this.snap.edges;
  }

  get version(): number {
    return this.snap.version;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.o.refreshMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reload if the version moved; true when the list changed. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    try {
      const v = await this.pool.query<{ version: string }>('SELECT version FROM edge_credentials_version');
      if (Number(v.rows[0]?.version ?? -1) === this.snap.version) {
        this.problem = undefined;
        return false;
      }
      const next = await read(this.pool);
      this.snap = next;
      this.problem = undefined;
      this.note(next);
      return true;
    } catch (e) {
      const msg = `edge credentials not re-read (the last good list stays in force): ${(e as Error).message}`;
      if (this.problem !== msg) this.o.log?.warn({ code: 'SS_HUB_CREDENTIALS' }, `SS_HUB_CREDENTIALS: ${msg}`);
      this.problem = msg;
      return false;
    }
  }

  private note(s: Snapshot): void {
    if (s.skipped.length) this.o.log?.warn({ code: 'SS_HUB_CREDENTIALS', edges: s.skipped }, 'SS_HUB_CREDENTIALS: malformed edge_credentials rows are ignored (those edges are refused); revoke and add them again');
  }
}
