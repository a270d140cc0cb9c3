import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/** A validation failure: where in the value, and what was wrong. */
export interface Problem {
  path: string;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/**
 * Compile a schema once and return a checker that never throws: bad input is data, not an
 * exception (STYLE.md habit 3). At most `maxProblems` problems are reported to keep errors small.
 */
export function compileChecker<T>(schema: TSchema, maxProblems = 5): (value: unknown) => Checked<T> {
  const compiled = Compile(schema);
  return (value: unknown): Checked<T> => {
    if (compiled.Check(value)) return { ok: true, value: value as T };
    const problems: Problem[] = [];
    for (const e of compiled.Errors(value)) {
      // additionalProperties reports twice (once as "schema is false"); keep the readable one.
      if (e.keyword === 'boolean') continue;
      problems.push({ path: e.instancePath || '/', message: e.message });
      if (problems.length >= maxProblems) break;
    }
    return { ok: false, problems };
  };
}

export function describeProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}
