import onnxPkg from 'onnx-proto';
import type { Autoencoder, DenseLayer } from './network.ts';
import type { ModelErrorCode } from './errors.ts';

// onnx-proto is CommonJS (protobufjs static code): take the namespace off the default export.
const { onnx } = onnxPkg;

/** What every Safestar model file carries in its ONNX metadata_props, so one file is enough. */
export interface ModelMeta {
  /** e.g. "ae16-1.0.0": the name the edge puts on `event.score.model`. */
  id: string;
  name: string;
  version: string;
  featureVersion: string;
  featureNames: readonly string[];
  threshold: number;
  refractoryMs: number;
}

const OPSET = 13; // ReduceMean takes `axes` as an attribute up to opset 17
const IR_VERSION = 8;
export const INPUT_NAME = 'features';
export const OUTPUT_NAME = 'score';

function tensor(name: string, data: Float32Array, dims: number[]): InstanceType<typeof onnx.TensorProto> {
  // Raw little-endian bytes: compact and exact (no float → double → float round trip).
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return onnx.TensorProto.create({ name, dataType: onnx.TensorProto.DataType.FLOAT, dims, rawData: raw });
}

function valueInfo(name: string, dims: (number | string)[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
}

function node(op: string, inputs: string[], outputs: string[], attrs: InstanceType<typeof onnx.AttributeProto>[] = []) {
  return onnx.NodeProto.create({ opType: op, input: inputs, output: outputs, name: outputs[0], attribute: attrs });
}

/**
 * The whole scoring function as one graph: standardize → dense/tanh layers → reconstruction →
 * mean squared error per row. onnxruntime returns the score directly, no post-processing in JS.
 */
export function buildOnnx(net: Autoencoder, meta: ModelMeta): Uint8Array {
  const d = net.mean.length;
  const init = [tensor('mean', net.mean, [d]), tensor('inv_std', net.invStd, [d])];
  const nodes = [node('Sub', [INPUT_NAME, 'mean'], ['centered']), node('Mul', ['centered', 'inv_std'], ['xn'])];
  let cur = 'xn';
  net.layers.forEach((L, i) => {
    init.push(tensor(`W${i}`, L.W, [L.inSize, L.outSize]), tensor(`b${i}`, L.b, [L.outSize]));
    nodes.push(node('MatMul', [cur, `W${i}`], [`m${i}`]), node('Add', [`m${i}`, `b${i}`], [`z${i}`]));
    if (i < net.layers.length - 1) {
      nodes.push(node('Tanh', [`z${i}`], [`a${i}`]));
      cur = `a${i}`;
    } else cur = `z${i}`;
  });
  nodes.push(
    node('Sub', ['xn', cur], ['diff']),
    node('Mul', ['diff', 'diff'], ['sq']),
    node('ReduceMean', ['sq'], [OUTPUT_NAME], [
      onnx.AttributeProto.create({ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] }),
      onnx.AttributeProto.create({ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }),
    ]),
  );
  const graph = onnx.GraphProto.create({
    name: meta.id,
    node: nodes,
    initializer: init,
    input: [valueInfo(INPUT_NAME, ['N', d])],
    output: [valueInfo(OUTPUT_NAME, ['N'])],
  });
  const metaProps: Record<string, string> = {
    'safestar.id': meta.id,
    'safestar.name': meta.name,
    'safestar.version': meta.version,
    'safestar.feature_version': meta.featureVersion,
    'safestar.feature_names': JSON.stringify(meta.featureNames),
    'safestar.threshold': String(meta.threshold),
    'safestar.refractory_ms': String(meta.refractoryMs),
  };
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'safestar-models',
    producerVersion: '1',
    domain: 'org.safestar',
    modelVersion: 1,
    docString: 'Autoencoder anomaly score (mean squared reconstruction error of standardized features).',
    graph,
    metadataProps: Object.entries(metaProps).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

export type ReadResult = { ok: true; meta: ModelMeta; net: Autoencoder } | { ok: false; code: ModelErrorCode; reason: string };

/**
 * Parse a Safestar model file back: its metadata (threshold, version, feature version) and the
 * network, so the TypeScript reference can score with exactly the weights onnxruntime uses.
 */
export function readOnnx(bytes: Uint8Array): ReadResult {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    return { ok: false, code: 'SS_MODEL_CORRUPT', reason: `not an ONNX protobuf (${(e as Error).message}); re-export the model` };
  }
  const props = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const need = ['safestar.id', 'safestar.feature_version', 'safestar.threshold'];
  const missing = need.filter((k) => !props.has(k));
  if (missing.length > 0 || !model.graph) {
    return { ok: false, code: 'SS_MODEL_NO_METADATA', reason: `missing ${missing.join(', ') || 'graph'}; export it with models/onnx-export.ts` };
  }
  const inits = new Map<string, Float32Array>();
  for (const t of model.graph.initializer ?? []) {
    const raw = t.rawData;
    if (!t.name || !raw || raw.length % 4 !== 0) continue;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const f = new Float32Array(raw.length / 4);
    for (let i = 0; i < f.length; i++) f[i] = view.getFloat32(i * 4, true);
    inits.set(t.name, f);
  }
  const mean = inits.get('mean');
  const invStd = inits.get('inv_std');
  if (!mean || !invStd) return { ok: false, code: 'SS_MODEL_CORRUPT', reason: 'missing standardization tensors; re-export the model' };
  const layers: DenseLayer[] = [];
  let inSize = mean.length;
  for (let i = 0; inits.has(`W${i}`); i++) {
    const W = inits.get(`W${i}`)!;
    const b = inits.get(`b${i}`);
    if (!b || W.length !== inSize * b.length) return { ok: false, code: 'SS_MODEL_CORRUPT', reason: `layer ${i} has inconsistent shapes` };
    layers.push({ W, b, inSize, outSize: b.length });
    inSize = b.length;
  }
  let featureNames: string[] = [];
  try {
    featureNames = JSON.parse(props.get('safestar.feature_names') ?? '[]') as string[];
  } catch {
    featureNames = [];
  }
  const threshold = Number(props.get('safestar.threshold'));
  if (!Number.isFinite(threshold)) return { ok: false, code: 'SS_MODEL_NO_METADATA', reason: 'threshold is not a number' };
  return {
    ok: true,
    net: { layers, mean, invStd },
    meta: {
      id: props.get('safestar.id')!,
      name: props.get('safestar.name') ?? '',
      version: props.get('safestar.version') ?? '',
      featureVersion: props.get('safestar.feature_version')!,
      featureNames,
      threshold,
      refractoryMs: Number(props.get('safestar.refractory_ms') ?? 600_000),
    },
  };
}
