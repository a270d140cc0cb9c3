import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { HubError } from '../errors.ts';
import { migratePg } from '../store/pgMigrate.ts';
import { addPgEdge, listPgEdges, revokePgEdge } from './edge-credentials.ts';

// `safestar hub edges add|list|revoke --pg URL`: the cluster's edge credentials, in PostgreSQL,
// read by every ingress. Same output contract as the file variant (hub/credentials-cli.ts): the
// secret alone on stdout, once; what to do next on stderr.

const say = (s: string): void => void process.stderr.write(`${s}\n`);

/** Where the URL points, without a password: for the messages. */
function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

async function withPool<T>(url: string, fn: (p: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    // The credentials table may be the first thing an operator sets up, before any worker ran.
    await migratePg(pool);
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

export async function pgEdgesAdd(edge: string, o: { pg: string; compounds: string; secretOut?: string }): Promise<void> {
  const compounds = o.compounds.split(',').map((s) => s.trim()).filter(Boolean);
  const secret = await withPool(o.pg, (p) => addPgEdge(p, edge, compounds));
  if (o.secretOut) writeFileSync(o.secretOut, `${secret}\n`, { mode: 0o600 });
  process.stdout.write(`${secret}\n`);
  say(`edge '${edge}' may publish for ${compounds.join(', ')} through every ingress of ${where(o.pg)}; its secret is shown once${o.secretOut ? ` (and written to ${o.secretOut})` : ''}. ` +
    `Put it in the edge's site config: safestar sim kit --edge-id ${edge} --edge-secret-file FILE …`);
}

export async function pgEdgesRevoke(edge: string, o: { pg: string }): Promise<void> {
  if (!(await withPool(o.pg, (p) => revokePgEdge(p, edge)))) throw new HubError('SS_HUB_CONFIG', `no edge '${edge}' in ${where(o.pg)}; see 'safestar hub edges list --pg URL'`);
  say(`edge '${edge}' revoked on every ingress within about a second; a connected session is closed at its next publish`);
}

export async function pgEdgesList(o: { pg: string }): Promise<void> {
  for (const e of await withPool(o.pg, listPgEdges)) process.stdout.write(`${e.id}\t${e.compounds.join(',')}\t${new Date(e.createdAt).toISOString()}\n`);
}
