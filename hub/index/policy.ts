import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeProblems, type Checked, type Problem } from '../../protocol/validate.ts';
import { checkPolicyShape, crossCheckPolicy, type Policy } from '../policy/policy-schema.ts';
import { IndexError } from './errors.ts';

export type { Policy } from '../policy/policy-schema.ts';

export const DEFAULT_POLICY_FILE = fileURLToPath(new URL('./policy.default.json', import.meta.url));

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/** Validate a parsed policy: schema first, then cross-references. Never throws. */
export function checkPolicy(value: unknown): Checked<Policy> {
  const shape = checkPolicyShape(value);
  if (!shape.ok) return shape;
  const problems: Problem[] = crossCheckPolicy(shape.value);
  if (problems.length > 0) return { ok: false, problems };
  // A private deep copy, frozen: nobody can tune a live policy by accident.
  return { ok: true, value: deepFreeze(structuredClone(shape.value)) };
}

/** Parse and validate, or throw SS_INDEX_POLICY_INVALID listing every path and reason. */
export function parsePolicy(value: unknown, source = 'policy'): Policy {
  const r = checkPolicy(value);
  if (!r.ok) throw new IndexError('SS_INDEX_POLICY_INVALID', `${source}: ${describeProblems(r.problems)}`);
  return r.value;
}

export function loadPolicyFile(file: string): Policy {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new IndexError('SS_INDEX_POLICY_READ', `${file}: ${(e as Error).message}`);
  }
  return parsePolicy(raw, file);
}

let cachedDefault: Policy | undefined;

/** The shipped default policy (hub/index/policy.default.json), loaded once. */
export function defaultPolicy(): Policy {
  cachedDefault ??= loadPolicyFile(DEFAULT_POLICY_FILE);
  return cachedDefault;
}
