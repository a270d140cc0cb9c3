import { tokenDigest } from '../credentials.ts';
import { HubError } from '../errors.ts';

/**
 * Who a bearer token speaks for. Departments post their cases (and may check in); legal officers
 * may only check in at compounds (the public /c/:id form asks for their token, so it must not be
 * one that can post cases); operators of the city centre confirm alarms and read alarm lists.
 */
export type Principal =
  | { kind: 'department'; department: string }
  | { kind: 'officer'; department: string }
  | { kind: 'operator' };

export interface TokenConfig {
  /** department → its tokens (police, procuratorate, court, justice, petitions, 12345). */
  departments: Record<string, readonly string[]>;
  /** Operators of the city centre: confirm or dismiss device alarms, enter survey results. */
  operators: readonly string[];
  /** department → legal officers' tokens (check-ins only). */
  officers?: Record<string, readonly string[]>;
  /**
   * Tokens issued with `safestar hub tokens add` (only their SHA-256 is stored): digest → principal.
   * Called on every lookup, so revocations apply at once; it must be cheap (a cached map).
   */
  issued?: () => ReadonlyMap<string, Principal>;
}

/** Shorter tokens are guessable; refuse them loudly instead of ignoring them (then 401 with no hint). */
export const MIN_TOKEN_LENGTH = 16;

function checkLength(token: string, where: string): void {
  if (token.length < MIN_TOKEN_LENGTH || token.length > 512 || /\s/.test(token)) {
    throw new HubError(
      'SS_HUB_TOKEN_SHORT',
      `a token for ${where} is ${token.length} characters${/\s/.test(token) ? ' with white space' : ''}; tokens need ${MIN_TOKEN_LENGTH}–512 characters without spaces. Issue one with 'safestar hub tokens add ${where === 'operators' ? 'operator' : where}'`,
    );
  }
}

/**
 * Bearer tokens of departments, officers and operators. Only SHA-256 digests are kept in memory, and
 * a lookup compares digests, so a token's bytes never take part in a timing-dependent comparison.
 */
export class CaseAuth {
  private readonly byDigest = new Map<string, Principal>();
  private readonly issued: (() => ReadonlyMap<string, Principal>) | undefined;

  constructor(cfg: TokenConfig) {
    for (const [department, tokens] of Object.entries(cfg.departments)) {
      for (const t of tokens) {
        checkLength(t, department);
        this.byDigest.set(tokenDigest(t), { kind: 'department', department });
      }
    }
    for (const [department, tokens] of Object.entries(cfg.officers ?? {})) {
      for (const t of tokens) {
        checkLength(t, `officer --department ${department}`);
        this.byDigest.set(tokenDigest(t), { kind: 'officer', department });
      }
    }
    for (const t of cfg.operators) {
      checkLength(t, 'operators');
      this.byDigest.set(tokenDigest(t), { kind: 'operator' });
    }
    this.issued = cfg.issued;
  }

  get size(): number {
    return this.byDigest.size + (this.issued?.().size ?? 0);
  }

  identify(header: string | undefined): Principal | undefined {
    const m = /^Bearer\s+(\S{16,512})$/i.exec(header ?? '');
    if (!m?.[1]) return undefined;
    const d = tokenDigest(m[1]);
    return this.byDigest.get(d) ?? this.issued?.().get(d);
  }
}

function pairs(raw: string | undefined, name: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const pair of (raw ?? '').split(',')) {
    if (!pair.trim()) continue;
    const i = pair.indexOf(':');
    if (i <= 0) throw new HubError('SS_HUB_CONFIG', `${name} entries must be DEPARTMENT:TOKEN, comma-separated (one entry has no ':')`);
    (out[pair.slice(0, i).trim()] ??= []).push(pair.slice(i + 1).trim());
  }
  return out;
}

/**
 * Tokens from the environment: SAFESTAR_DEPARTMENT_TOKENS="police:tok,court:tok2",
 * SAFESTAR_OFFICER_TOKENS="police:tok5" and SAFESTAR_OPERATOR_TOKENS="tok3,tok4". A token
 * shorter than 16 characters is an error (SS_HUB_TOKEN_SHORT), not silently dropped.
 * `safestar hub tokens add` is the better way: it stores only a hash.
 */
export function tokensFromEnv(env: NodeJS.ProcessEnv = process.env): TokenConfig {
  const departments = pairs(env['SAFESTAR_DEPARTMENT_TOKENS'], 'SAFESTAR_DEPARTMENT_TOKENS');
  const officers = pairs(env['SAFESTAR_OFFICER_TOKENS'], 'SAFESTAR_OFFICER_TOKENS');
  const operators = (env['SAFESTAR_OPERATOR_TOKENS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const [d, ts] of Object.entries(departments)) for (const t of ts) checkLength(t, d);
  for (const [d, ts] of Object.entries(officers)) for (const t of ts) checkLength(t, `officer --department ${d}`);
  for (const t of operators) checkLength(t, 'operators');
  return { departments, operators, ...(Object.keys(officers).length ? { officers } : {}) };
}
