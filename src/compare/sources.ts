/**
 * What `compare` is given, turned into models: every argument is a MODEL (any format `openModel`
 * opens; a FER `.npz` with its `.cppn.json` beside it is a drawing network) or a run folder — one
 * `weightscope reproduce` wrote (models/<task>/run-<k>/) or one `weightscope train --out` wrote
 * (run-<k>/) — whose models form one group. Each model gets the kind its fingerprint can be:
 * a runnable dense chain (`mlp`), a drawing (`cppn`), or weights only (`weights`, saying why).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import { inputPathKind, readJsonFile } from '../core/io.js';
import type { Activation, LayerRecord } from '../core/layer.js';
import { readRunRecord, TRAINING_RECORD } from '../core/run-folder.js';
import { denseChain, openModel } from '../formats/open.js';
import { NO_ACTIVATIONS_NOTE } from '../formats/registry.js';
import { withHiddenActivation } from '../model/dense-runner.js';
import { hasCppnSidecar, openCppn } from '../model/cppn-file.js';
import type { Cppn } from '../model/cppn.js';

/** What a run folder or a model's training record says about the data it was trained on. */
export interface TaskHint {
  task: string;
  inputs?: string;
  testLimit?: number;
  /** The run's base seed (the --test-limit sample it evaluated on). */
  seed?: number;
}

export interface ModelSource {
  /** The row's `model`: the file's base name, or `<run folder>/<task>/run-<k>`. */
  name: string;
  path: string;
  format: string;
  kind: 'mlp' | 'cppn' | 'weights';
  /** Every layer, in depth order (a dense chain: in the order it runs, activations set). */
  layers: LayerRecord[];
  cppn?: Cppn;
  /** Why a `weights` model cannot run. */
  why?: string;
  hint?: TaskHint;
}

export interface SourceOptions {
  /** Hidden activation of dense chains read from weights-only files. */
  activation?: Activation;
  /** The task to take from a run folder that holds several. */
  task?: string;
}

function runIndex(name: string): number | null {
  const m = /^run-(\d+)$/.exec(name);
  return m ? Number(m[1]) : null;
}

function runDirs(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((n) => runIndex(n) !== null && existsSync(join(dir, n, 'model.json')))
    .sort((a, b) => runIndex(a)! - runIndex(b)!)
    .map((n) => join(dir, n));
}

function trainingHint(modelDir: string): TaskHint | undefined {
  const path = join(modelDir, TRAINING_RECORD);
  if (!existsSync(path)) return undefined;
  const r = readJsonFile(path, 'training record') as Record<string, unknown>;
  return typeof r?.task === 'string' ? { task: r.task, ...(typeof r.inputs === 'string' ? { inputs: r.inputs } : {}) } : undefined;
}

/** The model folders of a run folder, or null when `dir` is not one. */
function runFolderModels(dir: string, options: SourceOptions): { path: string; name: string; hint?: TaskHint }[] | null {
  const record = existsSync(join(dir, 'run.json')) ? readRunRecord(dir) : null;
  const modelsDir = join(dir, 'models');
  if (record && existsSync(modelsDir) && statSync(modelsDir).isDirectory()) {
    const tasks = readdirSync(modelsDir).filter((t) => runDirs(join(modelsDir, t)).length > 0).sort();
    if (tasks.length === 0) throw new UserError(`${dir}: a run folder with no models (models/<task>/run-<k>/model.json)`);
    let task = tasks[0];
    if (options.task !== undefined) {
      if (!tasks.includes(options.task)) throw new UserError(`${dir} has no models of task '${options.task}' (it has ${tasks.join(', ')})`);
      task = options.task;
    } else if (tasks.length > 1) throw new UserError(`${dir} holds models of ${tasks.length} tasks (${tasks.join(', ')}): choose one with --task`);
    const config = (record.config ?? {}) as Record<string, unknown>;
    const hint: TaskHint = {
      task,
      ...(typeof config.inputs === 'string' ? { inputs: config.inputs } : {}),
      ...(typeof config.testLimit === 'number' ? { testLimit: config.testLimit } : {}),
      ...(typeof config.seed === 'number' ? { seed: config.seed } : {}),
    };
    return runDirs(join(modelsDir, task)).map((p) => ({ path: p, name: `${basename(dir)}/${task}/${basename(p)}`, hint }));
  }
  const runs = runDirs(dir);
  if (runs.length > 0 && !existsSync(join(dir, 'model.json'))) return runs.map((p) => ({ path: p, name: `${basename(dir)}/${basename(p)}`, hint: trainingHint(p) }));
  return null;
}

function stem(path: string): string {
  const b = basename(path.replace(/[/\\]+$/, ''));
  return b === 'model.json' ? basename(join(path, '..')) : b.slice(0, b.length - extname(b).length) || b;
}

/** One model file (any format). */
export async function openSource(path: string, options: SourceOptions, name = stem(path), hint?: TaskHint): Promise<ModelSource> {
  if (hasCppnSidecar(path)) {
    const cppn = openCppn(path);
    return { name, path, format: 'npz', kind: 'cppn', layers: cppn.layers, cppn };
  }
  const model = await openModel(path, { conv: 'unfold' });
  const records = (): LayerRecord[] => model.layers.map((l) => l.load());
  const weightsOnly = (why: string): ModelSource => ({ name, path, format: model.format, kind: 'weights', layers: records(), why, hint });
  if (model.can.run !== 'dense-chain') {
    return weightsOnly(model.can.run === 'onnx-runtime'
      ? 'an ONNX graph runs through ONNX Runtime, which the fingerprint does not drive yet (weightscope probe MODEL.onnx --inputs X.npy probes it)'
      : 'a tagger runs on Brown sentences, which the fingerprint does not drive yet (weightscope probe TAGGER probes it)');
  }
  const chain = denseChain(model);
  if ('why' in chain) return weightsOnly(`${chain.why}, so weightscope cannot run it from its weights alone`);
  let layers = chain.layers.map((l) => l.load());
  if (options.activation !== undefined) layers = withHiddenActivation(layers, options.activation);
  else if (!model.activations && layers.length > 1) {
    return weightsOnly(`${NO_ACTIVATIONS_NOTE} (add --activation relu|sigmoid|tanh|linear to run it)`);
  } else if (!model.activations) layers = withHiddenActivation(layers, 'linear');
  const folder = inputPathKind(path) === 'folder' ? path : basename(path) === 'model.json' ? dirname(path) : null;
  return { name, path, format: model.format, kind: 'mlp', layers, hint: hint ?? (folder ? trainingHint(folder) : undefined) };
}

/** Every argument's models: a run folder gives all of its models, a MODEL itself. */
export async function openSources(paths: readonly string[], options: SourceOptions = {}): Promise<ModelSource[][]> {
  const out: ModelSource[][] = [];
  for (const path of paths) {
    const kind = inputPathKind(path);
    if (kind === null) throw new UserError(`no model or run folder at ${path}`);
    const run = kind === 'folder' ? runFolderModels(path, options) : null;
    if (run) out.push(await Promise.all(run.map((m) => openSource(m.path, options, m.name, m.hint))));
    else out.push([await openSource(path, options)]);
  }
  return out;
}
