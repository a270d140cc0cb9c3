import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FeatureEvent } from '../../models/features.ts';

/**
 * One checkout's detector, loaded from its own files (features.ts, tail-model.ts, its model), so
 * two feature versions (f7 of an older commit, f8 of this one) run side by side in one process.
 * Only the shape both versions share is typed here: the modules are imported by path at run time.
 */
export interface CheckoutDetector {
  root: string;
  /** FEATURE_VERSION of the checkout's features.ts (f7, f8 …). */
  featureVersion: string;
  featureCount: number;
  /** The model file scored with (the checkout's models/kt-*.onnx) and its id. */
  modelFile: string;
  model: string;
  newExtractor: () => { push: (ev: FeatureEvent, out: Float32Array) => Float32Array | null };
  /** TypeScript reference scoring of `n` rows of `x` into `out` (what the edge runs per group commit). */
  score: (x: Float32Array, n: number, out: Float32Array) => void;
}

const NEEDED = ['models/features.ts', 'models/tail-model.ts', 'models/tail-onnx.ts'];

/** The model file of a checkout: the one `models/kt-*.onnx`, or `model` when given. */
export function modelFileOf(root: string, model?: string): string {
  if (model !== undefined) {
    if (!existsSync(model)) throw new Error(`SS_BENCH_CHECKOUT_MODEL: ${model} does not exist; pass the path of a kt-*.onnx file`);
    return resolve(model);
  }
  const dir = join(root, 'models');
  const found = readdirSync(dir).filter((f) => /^kt-.*\.onnx$/.test(f)).sort();
  if (found.length !== 1) {
    throw new Error(`SS_BENCH_CHECKOUT_MODEL: ${dir} holds ${found.length} kt-*.onnx files (${found.join(', ') || 'none'}); pass the one to score with`);
  }
  return join(dir, found[0]!);
}

/** Check that `root` is a Safestar checkout the detector can be loaded from, before importing it. */
export function checkCheckout(root: string): void {
  const missing = NEEDED.filter((f) => !existsSync(join(root, f)));
  if (missing.length) throw new Error(`SS_BENCH_CHECKOUT: ${root} has no ${missing.join(', ')}; pass the root of a Safestar checkout (e.g. \`git worktree add /tmp/f7 b7bf800\`)`);
  // tail-onnx.ts imports onnx-proto by bare name, resolved from the checkout's own folder up.
  if (!existsSync(join(root, 'node_modules'))) {
    throw new Error(`SS_BENCH_CHECKOUT_DEPS: ${root} has no node_modules; link this checkout's (\`ln -s $PWD/node_modules ${join(root, 'node_modules')}\`) or run npm ci there`);
  }
}

interface FeaturesModule {
  FEATURE_VERSION: string;
  FEATURE_COUNT: number;
  FeatureExtractor: new () => { push: (ev: FeatureEvent, out: Float32Array) => Float32Array | null };
}
interface TailModelModule { scoreTail: (m: unknown, x: Float32Array, n: number, out: Float32Array) => Float32Array }
interface TailOnnxModule {
  readTailOnnx: (b: Uint8Array) => unknown;
  readTailMeta: (b: Uint8Array) => { id: string; featureVersion: string } | undefined;
}

const load = async <T>(root: string, file: string): Promise<T> => (await import(pathToFileURL(join(root, file)).href)) as T;

/** Load the detector of the checkout at `root` (its features, its scorer, its model). */
export async function loadCheckout(root: string, model?: string): Promise<CheckoutDetector> {
  const abs = resolve(root);
  checkCheckout(abs);
  const modelFile = modelFileOf(abs, model);
  const [f, t, o] = await Promise.all([
    load<FeaturesModule>(abs, 'models/features.ts'),
    load<TailModelModule>(abs, 'models/tail-model.ts'),
    load<TailOnnxModule>(abs, 'models/tail-onnx.ts'),
  ]);
  const bytes = readFileSync(modelFile);
  const meta = o.readTailMeta(bytes);
  const tail = o.readTailOnnx(bytes);
  if (!meta || !tail) throw new Error(`SS_BENCH_CHECKOUT_MODEL: ${modelFile} is not a tail model this checkout reads; pass its own kt-*.onnx`);
  // A model of other features would score the wrong columns without any error: refuse it.
  if (meta.featureVersion !== f.FEATURE_VERSION) {
    throw new Error(`SS_BENCH_CHECKOUT_MODEL: ${modelFile} is for features ${meta.featureVersion}, ${abs} extracts ${f.FEATURE_VERSION}; pass the checkout's own model`);
  }
  return {
    root: abs,
    featureVersion: f.FEATURE_VERSION,
    featureCount: f.FEATURE_COUNT,
    modelFile,
    model: meta.id,
    newExtractor: () => new f.FeatureExtractor(),
    score: (x, n, out) => void t.scoreTail(tail, x, n, out),
  };
}
