import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPolicy, DEFAULT_POLICY_FILE, defaultPolicy, loadPolicyFile, parsePolicy } from '../../hub/index/policy.ts';

const raw = () => JSON.parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8')) as Record<string, any>;

const problemsOf = (p: unknown) => {
  const r = checkPolicy(p);
  return r.ok ? [] : r.problems;
};

describe('policy', () => {
  it('the default policy is valid, versioned and frozen', () => {
    const p = defaultPolicy();
    expect(p.version).toBe('2026.3');
    expect(Object.isFrozen(p.subScores.crime)).toBe(true);
    expect(p.window).toEqual({ days: 365, halfLifeDays: 180 });
    expect(p.normalisation).toEqual({ perHouseholds: 1000, householdsFloor: 200 });
    expect(p.stars.bands[0]).toEqual({ stars: 5, min: 90, inclusive: false });
  });

  it('reports schema errors with the path', () => {
    const p = raw();
    p.window.halfLifeDays = -1;
    p.subScores.crime.curve = { type: 'linear', zeroAt: 0, fullAt: 1 };
    const problems = problemsOf(p);
    expect(problems.map((x) => x.path)).toEqual(expect.arrayContaining(['/window/halfLifeDays']));
    expect(problems.some((x) => x.path.startsWith('/subScores/crime/curve'))).toBe(true);
  });

  it('refuses weights that do not sum to 1', () => {
    const p = raw();
    p.subScores.crime.weight = 0.6;
    expect(problemsOf(p)).toEqual([{ path: '/subScores', message: expect.stringContaining('sum to 1') }]);
  });

  it('refuses unknown categories in the veto list and downgrade rules, and a veto category that also downgrades', () => {
    const p = raw();
    p.veto.categories.push('jaywalking');
    p.downgrades.rules[0].categories.push('homicide');
    const problems = problemsOf(p);
    expect(problems).toContainEqual({ path: `/veto/categories/${p.veto.categories.length - 1}`, message: "unknown category 'jaywalking'" });
    expect(problems).toContainEqual({ path: '/downgrades/rules/0/categories/1', message: expect.stringContaining('veto category') });
  });

  it('refuses bands out of order and unknown fields', () => {
    const p = raw();
    p.stars.bands.reverse();
    p.extra = 1;
    const problems = problemsOf(p);
    expect(problems.length).toBeGreaterThan(0);
    const q = raw();
    q.stars.bands.reverse();
    expect(problemsOf(q)[0]?.path).toMatch(/^\/stars\/bands\//);
  });

  it('parsePolicy and loadPolicyFile throw coded errors naming the file and path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-policy-'));
    const bad = raw();
    bad.review.consecutiveRuns = 0;
    writeFileSync(join(dir, 'p.json'), JSON.stringify(bad));
    expect(() => loadPolicyFile(join(dir, 'p.json'))).toThrow(/SS_INDEX_POLICY_INVALID: .*p\.json: \/review\/consecutiveRuns/);
    writeFileSync(join(dir, 'q.json'), '{ not json');
    expect(() => loadPolicyFile(join(dir, 'q.json'))).toThrow(/SS_INDEX_POLICY_READ/);
    expect(() => parsePolicy({})).toThrow(/SS_INDEX_POLICY_INVALID/);
  });

  it('refuses a department map that lets a department other than police or courts post a veto or downgrade category', () => {
    const p = raw();
    p.departmentCategories.petitions.push('homicide');
    p.departmentCategories.justice.push('burglary');
    p.departmentCategories.nobody = ['petition'];
    const problems = problemsOf(p);
    expect(problems).toContainEqual({ path: `/departmentCategories/petitions/${p.departmentCategories.petitions.length - 1}`, message: expect.stringContaining('only police and court') });
    expect(problems).toContainEqual({ path: `/departmentCategories/justice/${p.departmentCategories.justice.length - 1}`, message: expect.stringContaining('only police and court') });
    expect(problems).toContainEqual({ path: '/departmentCategories/nobody', message: "unknown department 'nobody'" });
  });

  it('no number of the rating lives in code: a tuned policy changes the result', async () => {
    const { evaluate } = await import('../../hub/index/engine.ts');
    const p = raw();
    p.version = '2026.3';
    p.stars.bands[0].min = 99.5;
    const tuned = parsePolicy(p);
    const input = { compound: { id: 'c1', district: 'd', households: 500 }, cases: [], alarms: [], onlineRate: 0.97, survey: 0.97, at: Date.UTC(2026, 5, 1) };
    expect(evaluate(defaultPolicy(), input).stars).toBe(5);
    const e = evaluate(tuned, input);
    expect(e.stars).toBe(4);
    expect(e.policyVersion).toBe('2026.3');
  });
});
