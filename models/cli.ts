import { join } from 'node:path';
import type { Command } from 'commander';
import { benchScoring } from './bench.ts';
import { evaluateKtAndWrite, evaluateLiveAndWrite, ktPaths, trainKtAndWrite } from './kt-artifacts.ts';
import { KT_MEASURED_RECIPE, KT_RECIPE, type KtRecipe } from './kt.ts';
import type { SeedSource } from './eval/seeds.ts';
import { ModelError, modelMessage } from './errors.ts';

const DEFAULT_DIR = join(import.meta.dirname);
const SOURCES: readonly SeedSource[] = ['reserved', 'dev', 'fresh'];
/** `kt` = the committed recipe; `measured` = issue 15's candidate with the safety measured leave one validation city out (not adopted). */
const RECIPES: Readonly<Record<string, Readonly<KtRecipe>>> = { kt: KT_RECIPE, measured: KT_MEASURED_RECIPE };
const RECIPE_HELP = 'kt (committed) | measured (issue 15 candidate: safety measured leave one validation city out; use with --dir)';

function recipeOf(name: string): KtRecipe | undefined {
  const r = RECIPES[name];
  if (!r) process.stderr.write(`${modelMessage('SS_MODEL_RECIPE', `--recipe '${name}' is not one of ${Object.keys(RECIPES).join(', ')}`)}\n`);
  return r ? { ...r } : undefined;
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('edge incident detector: train, evaluate, benchmark (issues 5, 15)');

  models
    .command('train')
    .description('train the detector (rules + per-(kind, type) tail model) on simulated normal traffic; writes models/<id>.onnx + card (deterministic, ~1–3 min)')
    .option('--dir <dir>', 'output folder', DEFAULT_DIR)
    .option('--recipe <name>', RECIPE_HELP, 'kt')
    .action((opts: { dir: string; recipe: string }) => {
      const t0 = Date.now();
      const recipe = recipeOf(opts.recipe);
      if (!recipe) {
        process.exitCode = 2;
        return;
      }
      const m = trainKtAndWrite(recipe, opts.dir, (msg) => process.stderr.write(`models train: ${msg}\n`));
      process.stdout.write(`${ktPaths(opts.dir, recipe).onnx}\nsha256 ${m.sha256}\nthreshold ${m.meta.threshold}\n`);
      process.stderr.write(`models train: done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    });

  models
    .command('evaluate')
    .description('evaluate the detector and every baseline on fresh cities; the last line is the JSON summary')
    .option('--dir <dir>', 'models folder', DEFAULT_DIR)
    .option('--seeds <source>', 'reserved (the committed report) | dev (development seeds, novel types left out) | fresh (drawn now)', 'reserved')
    .option('--count <n>', 'number of seeds (city sizes alternate 6 / 14 compounds)', '5')
    .option('--seed <n...>', 'explicit seeds (overrides --count)')
    .option('--live', 'also run the same seeds through the edge path (codecs, privacy, group commits, learning period, onnxruntime) and compare')
    .option('--recipe <name>', RECIPE_HELP, 'kt')
    .action(async (opts: { dir: string; seeds: string; count: string; seed?: string[]; live?: boolean; recipe: string }) => {
      const source = opts.seeds as SeedSource;
      const recipe = recipeOf(opts.recipe);
      if (!recipe) {
        process.exitCode = 2;
        return;
      }
      if (!SOURCES.includes(source)) {
        process.stderr.write(`${modelMessage('SS_MODEL_EVALUATE_SEEDS', `--seeds '${opts.seeds}' is not one of ${SOURCES.join(', ')}`)}\n`);
        process.exitCode = 2;
        return;
      }
      const count = Math.max(1, Number(opts.count) || 5);
      try {
        const seeds = opts.seed?.map(Number).filter((n) => Number.isInteger(n) && n >= 0);
        const { evaluation, line } = evaluateKtAndWrite(recipe, opts.dir, {
          source, count, ...(seeds && seeds.length > 0 ? { seeds } : {}),
          log: (m) => process.stderr.write(`models evaluate: ${m}\n`),
        });
        process.stderr.write(`models evaluate: seeds ${evaluation.seeds.join(', ')} (${source})\n`);
        for (const [name, d] of Object.entries(evaluation.detectors)) {
          process.stdout.write(`${name.padEnd(20)} recall ${(d.recall * 100).toFixed(1)} % (seeds ${(d.recallMin * 100).toFixed(1)}–${(d.recallMax * 100).toFixed(1)} %)  false alerts/compound/day ${d.faPerCompoundDay.toFixed(3)}  behaviour ${(d.behaviourRecall * 100).toFixed(1)} %\n`);
        }
        if (opts.live) {
          const live = await evaluateLiveAndWrite(recipe, opts.dir, evaluation, (m) => process.stderr.write(`models evaluate: ${m}\n`));
          process.stdout.write(`live path           recall ${(live.summary.live.recall * 100).toFixed(1)} % vs offline ${(live.summary.offline.recall * 100).toFixed(1)} % (gap ${live.summary.gapPoints} points)  false alerts/compound/day ${live.summary.live.faPerCompoundDay.toFixed(3)}\n${live.line}\n`);
        }
        // The issue's summary stays the last line.
        process.stdout.write(`${line}\n`);
      } catch (e) {
        // A coded model error keeps its own code and advice; anything else means no usable model.
        process.stderr.write(`${e instanceof ModelError ? e.message : modelMessage('SS_MODEL_EVALUATE', (e as Error).message)}\n`);
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
