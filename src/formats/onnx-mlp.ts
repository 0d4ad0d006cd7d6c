/**
 * A weightscope dense model as an ONNX graph (MatMul → Add → activation per layer), built with the
 * same onnx-proto schema the reader uses. Weights are stored as tfjs does, [nIn, nOut], so they are
 * the B input of MatMul (orientation in-out).
 */
import type { DenseModel } from '../core/layer.js';
import { encodeValues } from './dtype.js';
import { onnx, ONNX_DTYPE } from './onnx.js';

const ACTIVATION_OP: Record<string, string | null> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax', linear: null };

/** The model as .onnx bytes: input `input` [N, nIn] float32, output `output` [N, nOut]. */
export function denseModelToOnnx(model: DenseModel): Uint8Array {
  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  const initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  let current = 'input';
  const tensor = (name: string, dims: number[], values: Float32Array) =>
    onnx.TensorProto.create({ name, dims, dataType: ONNX_DTYPE.F32, rawData: encodeValues('F32', values) });
  model.layers.forEach((layer, k) => {
    const last = k === model.layers.length - 1;
    const weight = `${layer.name}/kernel`;
    initializers.push(tensor(weight, [layer.shape[0], layer.shape[1]], layer.weights));
    nodes.push(onnx.NodeProto.create({ name: layer.name, opType: 'MatMul', input: [current, weight], output: [`${layer.name}/matmul`] }));
    current = `${layer.name}/matmul`;
    if (layer.bias) {
      const bias = `${layer.name}/bias`;
      initializers.push(tensor(bias, [layer.shape[1]], layer.bias));
      nodes.push(onnx.NodeProto.create({ name: `${layer.name}/add`, opType: 'Add', input: [current, bias], output: [`${layer.name}/biased`] }));
      current = `${layer.name}/biased`;
    }
    const op = ACTIVATION_OP[layer.activation ?? 'linear'];
    if (op) {
      const attribute = op === 'Softmax' ? [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 })] : [];
      nodes.push(onnx.NodeProto.create({ name: `${layer.name}/${op.toLowerCase()}`, opType: op, input: [current], output: [`${layer.name}/out`], attribute }));
      current = `${layer.name}/out`;
    }
    if (last) nodes.push(onnx.NodeProto.create({ name: 'output', opType: 'Identity', input: [current], output: ['output'] }));
  });
  const valueInfo = (name: string, width: number) =>
    onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: ONNX_DTYPE.F32, shape: { dim: [{ dimParam: 'N' }, { dimValue: width }] } } } });
  const first = model.layers[0];
  const last = model.layers[model.layers.length - 1];
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'weightscope',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'weightscope-mlp',
      node: nodes,
      initializer: initializers,
      input: [valueInfo('input', first.shape[0])],
      output: [valueInfo('output', last.shape[1])],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}
