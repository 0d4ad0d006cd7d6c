/**
 * Running an ONNX model with ONNX Runtime while swapping some of its weight tensors.
 *
 * ONNX Runtime bakes initializers into the session, and an initializer that is also listed as a
 * graph input ("overridable") is not in the session's input names, so onnxruntime-node ignores a
 * feed for it. So the graph is rewritten once: each tensor that will be probed is taken out of the
 * initializers (or its Constant node removed) and becomes a graph input. One session then serves
 * every evaluation; each run feeds the original tensors (prebuilt, no copy) except the probed one.
 */
import ort from 'onnxruntime-node';
import { UserError } from '../core/errors.js';
import { encodeValues } from '../formats/dtype.js';
import { inlineExternalData, onnx, ONNX_DTYPE, type OnnxModelFile } from '../formats/onnx.js';
import type { TensorDType } from '../formats/types.js';
import type { Outputs } from './output-metrics.js';

export interface InputArray {
  data: Float32Array;
  /** [N, …]: the first axis is the batch. */
  shape: number[];
}

export interface OnnxRunnerOptions {
  /** Inputs per run (default: all at once). */
  batchSize?: number;
}

/** One dimension of a graph input: a number, or null where the model leaves it free. */
type Dim = number | null;

export interface OnnxRunner {
  /** The graph's (one) data input and its declared dims. */
  readonly inputName: string;
  readonly inputDims: Dim[];
  readonly outputName: string;
  /** The tensors that can be replaced per run. */
  readonly swappable: readonly string[];
  /** Run all inputs (in batches) with the named tensors replaced; others keep their values. */
  run(inputs: InputArray, replaced?: ReadonlyMap<string, Float32Array>): Promise<Outputs>;
  release(): Promise<void>;
}

/** Build the one session for probing `swappable` tensors of `file`. */
export async function createOnnxRunner(file: OnnxModelFile, swappable: string[], options: OnnxRunnerOptions = {}): Promise<OnnxRunner> {
  const proto = onnx.ModelProto.decode(file.bytes);
  const graph = proto.graph!;
  const feeds: Record<string, ort.Tensor> = {};
  const dtypes = new Map<string, TensorDType>();
  const chosen = new Set(swappable);
  for (const name of swappable) {
    const t = file.tensor(name);
    if (t.dtype === 'BF16') throw new UserError(`tensor '${name}' is BF16, which ONNX Runtime for Node cannot take as an input`);
    dtypes.set(name, t.dtype);
    feeds[name] = ortTensor(t.values(), t.dtype, t.shape);
    graph.input!.push(onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: ONNX_DTYPE[t.dtype], shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } },
    }));
  }
  graph.initializer = (graph.initializer ?? []).filter((t) => !chosen.has(t.name ?? ''));
  graph.node = (graph.node ?? []).filter((n) => !(n.opType === 'Constant' && chosen.has(n.output?.[0] ?? '')));
  // The session is built from bytes that name no file: every external tensor (any type, anywhere
  // in the model) is read in here from its checked range, so ONNX Runtime never opens a path a
  // model chose.
  inlineExternalData(proto, file);

  const dataInputs = (graph.input ?? []).filter((i) => !chosen.has(i.name ?? '') && !(graph.initializer ?? []).some((t) => t.name === i.name));
  if (dataInputs.length !== 1) {
    throw new UserError(`${file.path}: probing needs a model with one data input, this one has ${dataInputs.length} (${dataInputs.map((i) => i.name).join(', ')})`);
  }
  const input = dataInputs[0];
  const inputName = input.name ?? '';
  const inputDims: Dim[] = (input.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue != null && Number(d.dimValue) > 0 ? Number(d.dimValue) : null));
  if (input.type?.tensorType?.elemType !== ONNX_DTYPE.F32) throw new UserError(`${file.path}: input '${inputName}' is not float32; probing feeds float32 inputs`);

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnx.ModelProto.encode(proto).finish(), { logSeverityLevel: 3 });
  } catch (err) {
    throw new UserError(`${file.path}: ONNX Runtime cannot load the model (${String((err as Error).message).split('\n')[0]})`);
  }
  const outputName = session.outputNames[0];

  return {
    inputName,
    inputDims,
    outputName,
    swappable,
    async run(inputs, replaced = new Map()) {
      checkInputShape(inputName, inputDims, inputs.shape);
      const run = { ...feeds };
      for (const [name, values] of replaced) {
        const dtype = dtypes.get(name);
        if (!dtype) throw new UserError(`tensor '${name}' was not made swappable`);
        run[name] = ortTensor(values, dtype, feeds[name].dims as number[]);
      }
      const n = inputs.shape[0];
      const per = inputs.data.length / n;
      const batch = options.batchSize ?? n;
      const parts: Float32Array[] = [];
      let outShape: number[] = [];
      for (let start = 0; start < n; start += batch) {
        const size = Math.min(batch, n - start);
        run[inputName] = new ort.Tensor('float32', inputs.data.subarray(start * per, (start + size) * per), [size, ...inputs.shape.slice(1)]);
        const result = (await session.run(run))[outputName];
        if (result.type !== 'float32') throw new UserError(`output '${outputName}' is ${result.type}; probing compares float32 outputs`);
        parts.push(result.data as Float32Array);
        outShape = result.dims as number[];
      }
      const data = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
      let offset = 0;
      for (const p of parts) {
        data.set(p, offset);
        offset += p.length;
      }
      return { data, shape: [n, ...outShape.slice(1)] };
    },
    release: () => session.release(),
  };
}

function ortTensor(values: Float32Array | Float64Array, dtype: TensorDType, dims: readonly number[]): ort.Tensor {
  switch (dtype) {
    case 'F32':
      return new ort.Tensor('float32', values instanceof Float32Array ? values : Float32Array.from(values), dims);
    case 'F64':
      return new ort.Tensor('float64', values instanceof Float64Array ? values : Float64Array.from(values), dims);
    case 'F16': {
      const bytes = encodeValues('F16', values);
      return new ort.Tensor('float16', new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2), dims);
    }
    default:
      throw new UserError(`cannot feed a ${dtype} tensor to ONNX Runtime`);
  }
}

/** Inputs must match every fixed dim of the model's input (free dims take any size). */
export function checkInputShape(name: string, dims: Dim[], shape: number[]): void {
  const show = (d: Dim[]) => `[${d.map((x) => x ?? '?').join(', ')}]`;
  const fits = shape.length === dims.length && dims.every((d, i) => d === null || d === shape[i]);
  if (!fits || shape[0] < 1) {
    throw new UserError(`--inputs of shape [${shape.join(', ')}] do not fit the model's input '${name}' ${show(dims)}`);
  }
}
