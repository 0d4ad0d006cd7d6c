/**
 * Probes on any ONNX model, run by ONNX Runtime (the runner for probeLayers, layer-probe.ts). The
 * layers are the inventory's (src/formats/inventory.ts, convolutions unfolded: the mapping that is
 * written back), without bias: ONNX probes act on weights only. A probed record goes back into its
 * tensor's own layout (replacementsFor) and is fed to the one session.
 */
import { basename, extname } from 'node:path';
import type { LayerRecord } from '../core/layer.js';
import { inventory, layerRecord, replacementsFor, type Inventory } from '../formats/inventory.js';
import type { OnnxModelFile } from '../formats/onnx.js';
import type { ModelFile } from '../formats/types.js';
import { createOnnxRunner } from '../model/onnx-runtime.js';
import { probeLayers, type LayerProbeOptions, type LayerProbeResult, type ProbeTarget } from './layer-probe.js';

export { findTarget, type ProbeTarget, type InputArray } from './layer-probe.js';
export type OnnxProbeOptions = LayerProbeOptions & { batchSize?: number };
export type OnnxProbeResult = LayerProbeResult;

/** The inventory the probes see: every layer, convolutions unfolded (channel × window position rows). */
function probeInventory(file: ModelFile): Inventory {
  return inventory(file, { conv: 'unfold' });
}

/** The model's layers as probe targets, in depth order, named as `weightscope layers` names them. */
export function probeTargets(file: ModelFile): ProbeTarget[] {
  return probeInventory(file).layers.map((l, depth) => ({
    name: l.name, aliases: l.aliases, tensor: l.tensor, depth, kind: l.kind, shape: l.tensorShape, orientation: l.orientation,
  }));
}

/** A target's values as a layer record [shape[0], product of the rest] ([in, out] for an (out, in) dense weight), no bias. */
export function layerView(target: Pick<ProbeTarget, 'name' | 'shape' | 'orientation'>, values: Float32Array | Float64Array): LayerRecord {
  const rows = target.shape[0];
  const weights = values instanceof Float32Array ? values : Float32Array.from(values);
  const cols = weights.length / rows;
  if (target.orientation === 'out-in') return { name: target.name, weights: transpose(weights, rows, cols), shape: [cols, rows], bias: null };
  return { name: target.name, weights, shape: [rows, cols], bias: null };
}

/** A layer record's weights back in the tensor's own layout (the inverse of layerView). */
export function tensorLayout(target: Pick<ProbeTarget, 'orientation'>, layer: LayerRecord): Float32Array {
  return target.orientation === 'out-in' ? transpose(layer.weights, layer.shape[0], layer.shape[1]) : layer.weights;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/** Run a probe over an ONNX model's layers with one ONNX Runtime session. */
export async function probeOnnx(file: OnnxModelFile, options: OnnxProbeOptions): Promise<OnnxProbeResult> {
  const inv = probeInventory(file);
  const byName = new Map(inv.layers.map((l) => [l.name, l]));
  return probeLayers(
    probeTargets(file),
    (t) => ({ ...layerRecord(file, byName.get(t.name)!), bias: null }),
    async (chosen) => {
      const runner = await createOnnxRunner(file, chosen.map((t) => t.tensor!), { batchSize: options.batchSize });
      return {
        run: (inputs, replaced) => {
          if (!replaced) return runner.run(inputs);
          const tensors = replacementsFor(file, inv, [...replaced.values()]);
          return runner.run(inputs, new Map([...tensors].map(([k, v]) => [k, v instanceof Float32Array ? v : Float32Array.from(v)])));
        },
        release: () => runner.release(),
      };
    },
    { ...options, task: basename(file.path, extname(file.path)), where: file.path },
  );
}
