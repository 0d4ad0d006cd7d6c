/**
 * `weightscope probe MODEL --inputs X.npy …`: probes on a model that runs on the user's inputs —
 * an ONNX model through ONNX Runtime, or a plain dense chain (an MLP from any weights file)
 * through weightscope's own forward pass — scored against --labels or the unprobed model.
 */
import { basename, extname } from 'node:path';
import { UserError } from '../../core/errors.js';
import { inputPathKind, readInputFile, writeFileAtomic } from '../../core/io.js';
import type { LayerRecord } from '../../core/layer.js';
import { rowsToCsv, type ProbeName, type ResultRow } from '../../core/results.js';
import type { ModelInventory, ModelLayer } from '../../formats/open.js';
import type { OnnxModelFile } from '../../formats/onnx.js';
import { parseNpyArray } from '../../formats/npy.js';
import { denseChainOutputs } from '../../model/dense-runner.js';
import { probeLayers, type LayerProbeOptions, type LayerProbeResult } from '../../probes/layer-probe.js';
import { buildDepthHtml } from '../../report/depth.js';
import { createProgress } from '../progress.js';

function readNpy(path: string, flag: string, what: string): { shape: number[]; data: Float32Array } {
  if (!path.toLowerCase().endsWith('.npy')) throw new UserError(`${what} needs ${flag} FILE.npy (got '${path}')`);
  if (!inputPathKind(path)) throw new UserError(`${flag}: no file at ${path}`);
  const buf = readInputFile(path, `${flag} file`);
  try {
    return parseNpyArray(new Uint8Array(buf.buffer, buf.byteOffset, buf.length));
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`${flag} ${path}: ${err.message}`);
    throw err;
  }
}

/** The position [i, j, …] of flat index `k` in a row-major array of `shape`. */
function multiIndex(k: number, shape: number[]): number[] {
  const out = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1, r = k; d >= 0; d--) {
    const n = Math.max(1, shape[d]);
    out[d] = r % n;
    r = Math.floor(r / n);
  }
  return out;
}

function countNonFinite(data: Float32Array): number {
  let n = 0;
  for (const v of data) if (!Number.isFinite(v)) n++;
  return n;
}

export interface InputsProbeFlags {
  inputs: string;
  labels?: string;
  perLayer: boolean;
  layer: string;
  probe: ProbeName;
  variant: string;
  levels: number[];
  signed: boolean;
  repeats: number;
  seed: number;
  batchSize?: number;
  out?: string;
  html?: string;
  json: boolean;
  quiet?: boolean;
}

/**
 * Probe `model` on --inputs: an ONNX model with ONNX Runtime, else `chain` (its layers in the order
 * they run, activations set) with weightscope's forward pass.
 */
export async function probeOnInputsCommand(model: ModelInventory, opts: InputsProbeFlags, chain?: { layers: ModelLayer[]; records: LayerRecord[] }): Promise<void> {
  const modelPath = model.path;
  const what = chain ? `probe on --inputs (${model.format} model)` : 'an .onnx model';
  const inputs = readNpy(opts.inputs, '--inputs', what);
  if (inputs.shape.length < 1 || inputs.shape[0] < 1) throw new UserError(`--inputs ${opts.inputs} holds no inputs (shape [${inputs.shape.join(', ')}])`);
  const bad = inputs.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new UserError(`--inputs ${opts.inputs}: value ${inputs.data[bad]} at [${multiIndex(bad, inputs.shape).join(', ')}] is not a finite number (the first of ${countNonFinite(inputs.data)}); inputs must be finite`);
  }
  const labels = opts.labels ? readNpy(opts.labels, '--labels', what).data : undefined;
  const badLabel = labels ? labels.findIndex((v) => !Number.isInteger(v) || v < 0) : -1;
  if (labels && badLabel >= 0) throw new UserError(`--labels ${opts.labels}: label ${labels[badLabel]} at index ${badLabel} is not a class index (a non-negative integer)`);
  if (opts.perLayer && opts.layer !== 'all') throw new UserError('--per-layer probes every layer; leave out --layer (or drop --per-layer to probe one layer)');
  const signed = opts.signed || opts.probe === 'binarize' || opts.probe === 'binarize+noise';
  const progress = createProgress({ quiet: opts.quiet || opts.json });
  let stage: ReturnType<typeof progress.stage> | null = null;
  const options: LayerProbeOptions & { batchSize?: number } = {
    probe: opts.probe,
    variant: opts.variant,
    signed,
    levels: opts.levels,
    layers: opts.perLayer ? 'per-layer' : opts.layer,
    inputs,
    inputsName: basename(opts.inputs),
    labels,
    repeats: opts.repeats,
    seed: opts.seed,
    batchSize: opts.batchSize,
    onRow: (_row, done, total) => {
      stage ??= progress.stage(`probe ${basename(modelPath)}`, total, 'evaluations');
      stage.update(done, total);
    },
  };
  let result: LayerProbeResult;
  if (chain) {
    const byName = new Map(chain.records.map((r) => [r.name, r]));
    const targets = chain.layers.map((l) => ({ name: l.name, aliases: l.aliases, ...(l.tensor ? { tensor: l.tensor } : {}), depth: l.depth, kind: l.kind, shape: [...l.shape], orientation: l.orientation }));
    result = await probeLayers(targets, (t) => byName.get(t.name)!, async () => ({
      run: async (x, replaced) => denseChainOutputs(chain.records.map((r) => (replaced?.has(r.name) ? { ...replaced.get(r.name)!, activation: r.activation } : r)), x),
      release: async () => undefined,
    }), { ...options, task: basename(modelPath, extname(modelPath)) || 'model', where: modelPath });
  } else {
    result = await (await import('../../probes/onnx-probe.js')).probeOnnx(model.file as OnnxModelFile, options);
  }
  (stage as ReturnType<typeof progress.stage> | null)?.stop();
  const rows: ResultRow[] = [result.baseline, ...result.rows];
  if (opts.out) writeFileAtomic(opts.out, rowsToCsv(rows));
  if (opts.html) {
    const layers = result.targets.map((t) => ({ name: t.name, depth: t.depth, kind: t.kind, shape: t.shape }));
    writeFileAtomic(opts.html, buildDepthHtml(rows, layers, { title: `${basename(modelPath)}: ${opts.probe} per layer`, baseline: result.baseline }));
  }
  if (opts.json) for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    const withF1 = rows.some((r) => r.f1 !== undefined);
    const withAgreement = rows.some((r) => r.agreement !== undefined);
    const head = ['layer', 'probe', 'variant', 'level', 'seed', withAgreement ? 'agreement\tkl\tcosine' : 'accuracy', ...(withF1 ? ['f1'] : [])];
    process.stdout.write(head.join('\t') + '\n');
    for (const r of rows) {
      const metrics = withAgreement ? `${r.agreement!.toFixed(4)}\t${r.kl!.toPrecision(4)}\t${r.cosine!.toFixed(4)}` : r.accuracy.toFixed(4);
      process.stdout.write([r.layer, r.probe, r.variant, r.level, r.seed, metrics, ...(withF1 ? [r.f1?.toFixed(4) ?? ''] : [])].join('\t') + '\n');
    }
  }
}
