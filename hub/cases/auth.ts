import { createHash } from 'node:crypto';

export type Principal = { kind: 'department'; department: string } | { kind: 'operator' };

export interface TokenConfig {
  /** department → its tokens (police, procuratorate, court, justice, petitions, 12345). */
  departments: Record<string, readonly string[]>;
  /** Operators of the city centre: confirm or dismiss device alarms, enter survey results. */
  operators: readonly string[];
}

const digest = (t: string): string => createHash('sha256').update(t).digest('hex');

/**
 * Bearer tokens of departments and operators. Only SHA-256 digests are kept in memory, and a
 * lookup compares digests, so a token's bytes never take part in a timing-dependent comparison.
 */
export class CaseAuth {
  private readonly byDigest = new Map<string, Principal>();

  constructor(cfg: TokenConfig) {
    for (const [department, tokens] of Object.entries(cfg.departments)) {
      for (const t of tokens) if (t.length >= 16) this.byDigest.set(digest(t), { kind: 'department', department });
    }
    for (const t of cfg.operators) if (t.length >= 16) this.byDigest.set(digest(t), { kind: 'operator' });
  }

  get size(): number {
    return this.byDigest.size;
  }

  identify(header: string | undefined): Principal | undefined {
    const m = /^Bearer\s+(\S{16,512})$/i.exec(header ?? '');
    return m?.[1] ? this.byDigest.get(digest(m[1])) : undefined;
  }
}

/**
 * Tokens from the environment: SAFESTAR_DEPARTMENT_TOKENS="police:tok,court:tok2" and
 * SAFESTAR_OPERATOR_TOKENS="tok3,tok4". Tokens shorter than 16 characters are ignored.
 */
export function tokensFromEnv(env: NodeJS.ProcessEnv = process.env): TokenConfig {
  const departments: Record<string, string[]> = {};
  for (const pair of (env['SAFESTAR_DEPARTMENT_TOKENS'] ?? '').split(',')) {
    const i = pair.indexOf(':');
    if (i <= 0) continue;
    const dept = pair.slice(0, i).trim();
    (departments[dept] ??= []).push(pair.slice(i + 1).trim());
  }
  const operators = (env['SAFESTAR_OPERATOR_TOKENS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return { departments, operators };
}
