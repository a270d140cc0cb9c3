import { join } from 'node:path';
import type { Command } from 'commander';
import { artifactPaths, evaluateAndWrite, trainAndWrite } from './artifacts.ts';
import { benchScoring } from './bench.ts';
import { RECIPE } from './recipe.ts';

const DEFAULT_DIR = join(import.meta.dirname);

export function registerModels(program: Command): void {
  const models = program.command('models').description('anomaly models: train, evaluate, benchmark (issue 5)');

  models
    .command('train')
    .description('train the autoencoder on simulated normal traffic and write models/<name>-<version>.onnx + card (deterministic)')
    .option('--dir <dir>', 'output folder', DEFAULT_DIR)
    .action((opts: { dir: string }) => {
      const t0 = Date.now();
      const m = trainAndWrite({ ...RECIPE }, opts.dir, (msg) => process.stderr.write(`models train: ${msg}\n`));
      const p = artifactPaths(opts.dir, RECIPE);
      process.stdout.write(`${p.onnx}\nsha256 ${m.sha256}\nthreshold ${m.meta.threshold}\n`);
      process.stderr.write(`models train: done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    });

  models
    .command('evaluate')
    .description('evaluate the model and both baselines on held-out scenario traffic; writes the report next to the card')
    .option('--dir <dir>', 'models folder', DEFAULT_DIR)
    .action((opts: { dir: string }) => {
      try {
        const r = evaluateAndWrite({ ...RECIPE }, opts.dir);
        const p = artifactPaths(opts.dir, RECIPE);
        process.stdout.write(`${p.reportMd}\n`);
        for (const row of r.rows) {
          process.stdout.write(`${row.detector.padEnd(22)} PR-AUC ${row.prAuc.toFixed(4)}  recall ${(row.recall * 100).toFixed(1)} %  false alerts/compound/day ${row.falseAlertsPerCompoundDay.toFixed(3)}  F1 ${row.f1.toFixed(3)}\n`);
        }
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\nSS_MODEL_EVALUATE: run \`safestar models train\` first\n`);
        process.exitCode = 1;
      }
    });

  models
    .command('bench')
    .description('scoring cost per event at batch 1, 64, 512: onnxruntime-node vs plain TypeScript')
    .action(async () => {
      process.stdout.write(`${JSON.stringify(await benchScoring(), null, 2)}\n`);
    });
}
