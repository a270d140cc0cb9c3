import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL_ERRORS, ModelError, modelMessage } from '../../models/errors.ts';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'safestar.js');
const dir = mkdtempSync(join(tmpdir(), 'ss-model-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tsFiles = (d: string): string[] =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : []));

const cli = (...args: string[]) => spawnSync(process.execPath, [bin, 'models', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('model error catalogue', () => {
  it('lists every SS_MODEL_ code the models tools and the edge model loader use, each saying what to do', () => {
    const used = new Set<string>();
    for (const f of [...tsFiles(join(root, 'models')), join(root, 'edge', 'scoring', 'model-loader.ts')]) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\b(SS_MODEL_[A-Z_]*[A-Z])\b/g)) used.add(m[1] as string);
    }
    expect(used.size).toBeGreaterThanOrEqual(7);
    expect([...used].filter((c) => !(c in MODEL_ERRORS))).toEqual([]);
    for (const what of Object.values(MODEL_ERRORS)) expect(what.length).toBeGreaterThan(20);
    const e = new ModelError('SS_MODEL_RECIPE', "--recipe 'x'");
    expect(e.code).toBe('SS_MODEL_RECIPE');
    expect(e.message).toBe(`SS_MODEL_RECIPE: --recipe 'x'; ${MODEL_ERRORS.SS_MODEL_RECIPE}`);
    expect(modelMessage('SS_MODEL_CORRUPT')).toBe(`SS_MODEL_CORRUPT: ${MODEL_ERRORS.SS_MODEL_CORRUPT}`);
  });

  it('`models train|evaluate` refuse an unknown recipe or seed source with exit 2 and the code, writing nothing', () => {
    for (const args of [['train', '--recipe', 'nope', '--dir', dir], ['evaluate', '--recipe', 'nope', '--dir', dir], ['evaluate', '--seeds', 'bogus', '--dir', dir]]) {
      const r = cli(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(args.includes('bogus') ? /SS_MODEL_EVALUATE_SEEDS: --seeds 'bogus' is not one of reserved, dev, fresh/ : /SS_MODEL_RECIPE: --recipe 'nope' is not one of kt, measured/);
      expect(r.stdout).toBe('');
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('`models evaluate` on a folder without a model fails with SS_MODEL_EVALUATE and says to train first', () => {
    const r = cli('evaluate', '--dir', dir, '--count', '1');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/SS_MODEL_EVALUATE: .*run `safestar models train` first/);
  });
});
