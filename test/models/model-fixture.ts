import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION, FeatureExtractor } from '../../models/features.ts';
import { buildOnnx, type ModelMeta } from '../../models/onnx-export.ts';
import type { Autoencoder } from '../../models/network.ts';
import { trainAutoencoder } from '../../models/train.ts';
import type { Event } from '../../protocol/event.ts';

export const T0 = Date.parse('2026-11-30T00:00:00Z');

export function event(i: number, over: Partial<Event> = {}): Event {
  return {
    v: 1, id: `edge-1.${i.toString(36)}.${i}`, deviceTime: T0 + i * 20_000, receivedAt: T0 + i * 20_000 + 5,
    district: 'siming', compound: 'c0001', edge: 'edge-1', device: `c0001-acc-0${i % 3}`, kind: 'access',
    type: 'granted', severity: 'info', attributes: { card: `k${i % 17}` }, ...over,
  };
}

let cached: Autoencoder | undefined;
/** A small real model trained on real feature rows of synthetic routine traffic (cached per file). */
export function fixtureNet(): Autoencoder {
  if (cached) return cached;
  const fx = new FeatureExtractor();
  const n = 600;
  const x = new Float32Array(n * FEATURE_COUNT);
  for (let i = 0; i < n; i++) x.set(fx.push(event(i))!, i * FEATURE_COUNT);
  cached = trainAutoencoder(x, n, FEATURE_COUNT, { seed: 3, epochs: 2, maxSamples: n }).net;
  return cached;
}

export function writeModel(dir: string, file: string, meta: Partial<ModelMeta> = {}): string {
  const full: ModelMeta = {
    id: 'ae16-test-1', name: 'ae16-test', version: '1', featureVersion: FEATURE_VERSION,
    featureNames: FEATURE_NAMES, threshold: 1e9, refractoryMs: 600_000, ...meta,
  };
  const path = join(dir, file);
  // Write-then-rename, as a deployment would: the watcher never sees half a file.
  writeFileSync(`${path}.tmp`, buildOnnx(fixtureNet(), full));
  renameSync(`${path}.tmp`, path);
  return path;
}
