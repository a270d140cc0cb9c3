import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hashPassword } from '../common/password.ts';
import { isSafeId } from '../protocol/ids.ts';
import { HubError } from './errors.ts';

/**
 * The hub's credentials, in `<data>/credentials.json` (mode 0600): edges with the compounds each
 * may publish for, and API tokens of departments, operators and legal officers. Secrets are drawn
 * from the OS CSPRNG, shown once by the command that issues them, and only hashes are stored:
 * edge secrets as scrypt (common/password.ts, checked once per MQTT CONNECT); tokens as SHA-256,
 * because they are 256-bit random strings checked on every API request: a slow hash adds no
 * protection against guessing such a secret, and would cost ~16 ms of thread pool per request.
 *
 * The running hub re-reads the file when its size or mtime changes, so `revoke` takes effect on
 * the next CONNECT, publish or request without a restart.
 */
export type TokenRole = 'department' | 'operator' | 'officer';

export interface StoredEdge {
  id: string;
  compounds: string[];
  /** `scrypt$…` of the edge secret. */
  passwordHash: string;
  createdAt: string;
}

export interface StoredToken {
  /** Short public id, for list and revoke (never the secret). */
  id: string;
  role: TokenRole;
  /** The department (department and officer tokens). */
  department?: string;
  /** SHA-256 hex of the token. */
  sha256: string;
  createdAt: string;
}

interface FileShape {
  v: 1;
  edges: StoredEdge[];
  tokens: StoredToken[];
}

export const CREDENTIALS_FILE = 'credentials.json';

export const tokenDigest = (token: string): string => createHash('sha256').update(token).digest('hex');

const secret = (): string => randomBytes(32).toString('base64url');

/** A new edge secret: 256 bits from the OS CSPRNG (the cluster's credential store issues the same). */
export const newEdgeSecret = secret;

/**
 * An edge grant's id and compound scope, checked the same way for the file and the cluster's
 * PostgreSQL store (SS_HUB_CONFIG says which part is wrong). Returns the compounds, deduplicated.
 */
export function checkEdgeGrant(id: string, compounds: readonly string[]): string[] {
  if (!isSafeId(id)) throw new HubError('SS_HUB_CONFIG', `edge id '${String(id).slice(0, 80)}' must be 1–64 characters of [A-Za-z0-9_.-]`);
  const bad = compounds.find((c) => !isSafeId(c));
  if (compounds.length === 0 || bad !== undefined) {
    throw new HubError('SS_HUB_CONFIG', `--compounds must list the compound ids edge '${id}' serves, comma-separated${bad !== undefined ? ` ('${String(bad).slice(0, 80)}' is not an id)` : ''}`);
  }
  return [...new Set(compounds)];
}

function check(file: string, json: unknown): FileShape {
  const o = json as Partial<FileShape> | null;
  if (!o || o.v !== 1 || !Array.isArray(o.edges) || !Array.isArray(o.tokens)) {
    throw new HubError('SS_HUB_CREDENTIALS', `'${file}' is not a credentials file (v 1 with edges and tokens); fix or remove it, then issue credentials with 'safestar hub edges add'`);
  }
  for (const [i, e] of o.edges.entries()) {
    if (!e || !isSafeId(e.id) || !Array.isArray(e.compounds) || !e.compounds.every(isSafeId) || typeof e.passwordHash !== 'string' || !e.passwordHash.startsWith('scrypt$')) {
      throw new HubError('SS_HUB_CREDENTIALS', `'${file}' edges[${i}] is malformed (needs id, compounds, passwordHash "scrypt$…"); revoke and add it again`);
    }
  }
  for (const [i, t] of o.tokens.entries()) {
    if (!t || typeof t.id !== 'string' || !['department', 'operator', 'officer'].includes(t.role) || typeof t.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(t.sha256)
      || (t.role !== 'operator' && (typeof t.department !== 'string' || !isSafeId(t.department)))) {
      throw new HubError('SS_HUB_CREDENTIALS', `'${file}' tokens[${i}] is malformed; revoke it and add it again`);
    }
  }
  return o as FileShape;
}

export class CredentialStore {
  readonly file: string;
  private data: FileShape = { v: 1, edges: [], tokens: [] };
  private stamp = '';
  private version = 0;
  /** Why the last re-read failed (the previous credentials stay in force), if it did. */
  problem: string | undefined;

  constructor(dataDir: string, private readonly now: () => number = Date.now) {
    this.file = join(dataDir, CREDENTIALS_FILE);
    this.reload();
  }

  /** Bumped on every (re)load: callers cache derived maps per version. */
  get generation(): number {
    this.reload();
    return this.version;
  }

  /**
   * Re-read the file if it changed (one stat call otherwise). At start a broken file is an error;
   * later, a broken edit keeps the last good credentials (and `problem` says why) so a typo can't
   * stop a running hub or let anyone in.
   */
  reload(): void {
    let st;
    try {
      st = statSync(this.file);
    } catch {
      if (this.stamp !== 'none') {
        this.stamp = 'none';
        this.data = { v: 1, edges: [], tokens: [] };
        this.version++;
      }
      return;
    }
    const stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
    if (stamp === this.stamp) return;
    try {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(this.file, 'utf8'));
      } catch (e) {
        throw new HubError('SS_HUB_CREDENTIALS', `cannot read '${this.file}': ${(e as Error).message}; fix or remove it, then issue credentials with 'safestar hub edges add'`);
      }
      this.data = check(this.file, json);
      this.problem = undefined;
    } catch (e) {
      if (this.version === 0) throw e;
      this.problem = (e as Error).message;
    }
    this.stamp = stamp;
    this.version++;
  }

  edges(): readonly StoredEdge[] {
    this.reload();
    return this.data.edges;
  }

  tokens(): readonly StoredToken[] {
    this.reload();
    return this.data.tokens;
  }

  /** Issue (or re-issue: the old secret stops working) an edge's secret. Returns the secret, once. */
  addEdge(id: string, compounds: readonly string[]): string {
    const scope = checkEdgeGrant(id, compounds);
    const s = newEdgeSecret();
    this.reload();
    const edges = this.data.edges.filter((e) => e.id !== id);
    edges.push({ id, compounds: scope, passwordHash: hashPassword(s), createdAt: new Date(this.now()).toISOString() });
    this.write({ ...this.data, edges });
    return s;
  }

  revokeEdge(id: string): boolean {
    this.reload();
    const edges = this.data.edges.filter((e) => e.id !== id);
    if (edges.length === this.data.edges.length) return false;
    this.write({ ...this.data, edges });
    return true;
  }

  /** Issue a token. Returns its public id and the token itself (shown once). */
  addToken(role: TokenRole, department?: string): { id: string; token: string } {
    if (role !== 'operator' && (department === undefined || !isSafeId(department))) {
      throw new HubError('SS_HUB_CONFIG', `a ${role} token needs a department id ([A-Za-z0-9_.-], e.g. police)`);
    }
    const token = `sst_${secret()}`;
    const id = randomBytes(6).toString('hex');
    this.reload();
    const t: StoredToken = { id, role, ...(role !== 'operator' ? { department } : {}), sha256: tokenDigest(token), createdAt: new Date(this.now()).toISOString() };
    this.write({ ...this.data, tokens: [...this.data.tokens, t] });
    return { id, token };
  }

  revokeToken(id: string): boolean {
    this.reload();
    const tokens = this.data.tokens.filter((t) => t.id !== id);
    if (tokens.length === this.data.tokens.length) return false;
    this.write({ ...this.data, tokens });
    return true;
  }

  private write(next: FileShape): void {
    mkdirSync(dirname(this.file), { recursive: true });
    // Write-then-rename: the running hub never reads a half-written file.
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
    this.stamp = '';
    this.reload();
  }
}
