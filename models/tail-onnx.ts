import onnxPkg from 'onnx-proto';
import { FEATURE_COUNT, GROUP_FEATURE } from './features.ts';
import { INPUT_NAME, OUTPUT_NAME, type ModelMeta } from './onnx-export.ts';
import type { TailModel } from './tail-model.ts';

const { onnx } = onnxPkg;
const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;
/** Second output: the FEATURE_NAMES index of the feature that decided each row's score (the explanation). */
export const EXPLAIN_NAME = 'explain';
export const TAIL_FORMAT = 'safestar-tail-1';

function f32(name: string, data: Float32Array, dims: number[]) {
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return onnx.TensorProto.create({ name, dataType: T.FLOAT, dims, rawData: raw });
}
function i64(name: string, data: number[], dims: number[]) {
  const raw = new Uint8Array(data.length * 8);
  const view = new DataView(raw.buffer);
  data.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return onnx.TensorProto.create({ name, dataType: T.INT64, dims, rawData: raw });
}
const int = (name: string, i: number) => onnx.AttributeProto.create({ name, type: A.INT, i });
const ints = (name: string, v: number[]) => onnx.AttributeProto.create({ name, type: A.INTS, ints: v });
function node(op: string, inputs: string[], outputs: string[], attrs: InstanceType<typeof onnx.AttributeProto>[] = []) {
  return onnx.NodeProto.create({ opType: op, input: inputs, output: outputs, name: outputs[0], attribute: attrs });
}
function info(name: string, elem: number, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: elem, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
}

/**
 * The tail model as one ONNX graph (opset 13, standard ops only):
 *   g = features[:, event_group] → tables of the row's group (Gather) → bin = Σ(x > edges) →
 *   surprise = min(max(table[bin], base + slope·(x − start)), cap of the group) → score = max over features,
 *   explain = the feature that gave it.
 */
export function buildTailOnnx(m: TailModel, meta: ModelMeta): Uint8Array {
  const G = m.edges.length / (m.used.length * m.K);
  const U = m.used.length;
  const K = m.K;
  const init = [
    i64('used', m.used, [U]),
    i64('group_col', [GROUP_FEATURE], [1]),
    f32('edges', m.edges, [G, U, K]),
    f32('table', m.surprise, [G, U, K + 1]),
    f32('start', m.start, [G, U]),
    f32('base', m.base, [G, U]),
    f32('slope', m.slope, [G, U]),
    f32('caps', m.caps, [G, U]),
    i64('ax2', [2], [1]),
    i64('ax1', [1], [1]),
    i64('used_names', m.used, [U]),
  ];
  const nodes = [
    node('Gather', [INPUT_NAME, 'used'], ['xu'], [int('axis', 1)]),
    node('Gather', [INPUT_NAME, 'group_col'], ['gcol'], [int('axis', 1)]),
    node('Squeeze', ['gcol', 'ax1'], ['gf']),
    node('Cast', ['gf'], ['g'], [int('to', T.INT64)]),
    node('Unsqueeze', ['xu', 'ax2'], ['xu3']),
    node('Gather', ['edges', 'g'], ['eg'], [int('axis', 0)]),
    node('Greater', ['xu3', 'eg'], ['above']),
    node('Cast', ['above'], ['abovef'], [int('to', T.FLOAT)]),
    node('ReduceSum', ['abovef', 'ax2'], ['binf'], [int('keepdims', 1)]),
    node('Cast', ['binf'], ['bin'], [int('to', T.INT64)]),
    node('Gather', ['table', 'g'], ['tg'], [int('axis', 0)]),
    node('GatherElements', ['tg', 'bin'], ['t3'], [int('axis', 2)]),
    node('Squeeze', ['t3', 'ax2'], ['tab']),
    node('Gather', ['start', 'g'], ['sg'], [int('axis', 0)]),
    node('Gather', ['base', 'g'], ['bg'], [int('axis', 0)]),
    node('Gather', ['slope', 'g'], ['lg'], [int('axis', 0)]),
    node('Sub', ['xu', 'sg'], ['dx']),
    node('Mul', ['lg', 'dx'], ['ldx']),
    node('Add', ['bg', 'ldx'], ['line']),
    node('Gather', ['caps', 'g'], ['cg'], [int('axis', 0)]),
    node('Max', ['tab', 'line'], ['both']),
    node('Min', ['both', 'cg'], ['contrib']),
    node('ReduceMax', ['contrib'], [OUTPUT_NAME], [ints('axes', [1]), int('keepdims', 0)]),
    node('ArgMax', ['contrib'], ['arg'], [int('axis', 1), int('keepdims', 0)]),
    node('Gather', ['used_names', 'arg'], [EXPLAIN_NAME], [int('axis', 0)]),
  ];
  const graph = onnx.GraphProto.create({
    name: meta.id,
    node: nodes,
    initializer: init,
    input: [info(INPUT_NAME, T.FLOAT, ['N', FEATURE_COUNT])],
    output: [info(OUTPUT_NAME, T.FLOAT, ['N']), info(EXPLAIN_NAME, T.INT64, ['N'])],
  });
  const props: Record<string, string> = {
    'safestar.id': meta.id,
    'safestar.name': meta.name,
    'safestar.version': meta.version,
    'safestar.format': TAIL_FORMAT,
    'safestar.feature_version': meta.featureVersion,
    'safestar.feature_names': JSON.stringify(meta.featureNames),
    'safestar.threshold': String(meta.threshold),
    'safestar.refractory_ms': String(meta.refractoryMs),
    'safestar.cap': String(m.cap),
  };
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      producerName: 'safestar-models',
      producerVersion: '1',
      domain: 'org.safestar',
      modelVersion: 1,
      docString: 'Per-(kind, type) tail model: score = max over features of −log10(normal exceedances per compound-day).',
      graph,
      metadataProps: Object.entries(props).map(([key, value]) => ({ key, value })),
    }),
  ).finish();
}

/** Parse the tables back (for the TypeScript reference scorer and the evaluation). */
export function readTailOnnx(bytes: Uint8Array): TailModel | undefined {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    return undefined;
  }
  const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const fl = (n: string): Float32Array | undefined => {
    const raw = inits.get(n)?.rawData;
    if (!raw || raw.length % 4 !== 0) return undefined;
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return Float32Array.from({ length: raw.length / 4 }, (_, i) => v.getFloat32(i * 4, true));
  };
  const usedT = inits.get('used');
  const edgesT = inits.get('edges');
  const edges = fl('edges');
  const table = fl('table');
  const start = fl('start');
  const base = fl('base');
  const slope = fl('slope');
  const caps = fl('caps');
  if (!usedT?.rawData || !edgesT?.dims || !edges || !table || !start || !base || !slope || !caps) return undefined;
  const uv = new DataView(usedT.rawData.buffer, usedT.rawData.byteOffset, usedT.rawData.byteLength);
  const used = Array.from({ length: usedT.rawData.length / 8 }, (_, i) => Number(uv.getBigInt64(i * 8, true)));
  const K = Number(edgesT.dims[2]);
  const props = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const cap = Number(props.get('safestar.cap'));
  return { used, K, edges, surprise: table, start, base, slope, caps, cap: Number.isFinite(cap) ? cap : Math.min(...caps) };
}

/** Metadata of a tail model file, or undefined when it is not one (another format, or not ONNX). */
export function readTailMeta(bytes: Uint8Array): ModelMeta | undefined {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    return undefined;
  }
  const props = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  if (props.get('safestar.format') !== TAIL_FORMAT) return undefined;
  const threshold = Number(props.get('safestar.threshold'));
  if (!props.has('safestar.id') || !props.has('safestar.feature_version') || !Number.isFinite(threshold)) return undefined;
  let featureNames: string[] = [];
  try {
    featureNames = JSON.parse(props.get('safestar.feature_names') ?? '[]') as string[];
  } catch {
    featureNames = [];
  }
  return {
    id: props.get('safestar.id')!,
    name: props.get('safestar.name') ?? '',
    version: props.get('safestar.version') ?? '',
    featureVersion: props.get('safestar.feature_version')!,
    featureNames,
    threshold,
    refractoryMs: Number(props.get('safestar.refractory_ms') ?? 600_000),
  };
}
