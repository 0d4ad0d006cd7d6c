/**
 * What the viewer can show from a target on disk: the run folder it serves and the models in it.
 * A target is a run folder (models under models/<task>/run-<k>/), a model folder (holding
 * model.json) or a model.json file itself.
 */
import { existsSync, readdirSync, statSync, realpathSync } from 'node:fs';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';
import { UserError } from '../core/errors.js';
import { confinedPath, modelRoot, readInputFile } from '../core/io.js';
import { RUN_FILES, modelPathInfo } from '../core/run-folder.js';
import { weightShardPaths } from '../formats/layers-format.js';
import { isTransformerDir } from '../model/transformer/files.js';

export interface IndexedLayer {
  name: string;
  shape: [number, number];
}

export interface IndexedModel {
  /** Task name (`mnist-0v7`) when the model sits at models/<task>/run-<k>/, else its folder's name. */
  task: string;
  /**
   * What the page calls the model when it is not `<task> · run <k>`: the layer's name in the user's
   * file for the one-layer models `weightscope view` converts a model file into.
   */
  label?: string;
  /** Run index, or null when the path does not say. */
  run: number | null;
  /** model.json path relative to the served root, with forward slashes. */
  path: string;
  layers: IndexedLayer[];
  /** The weight files its manifest names, relative to the served root (the only ones served). */
  weightFiles: string[];
}

export interface RunIndex {
  /** Name of the served folder, or of the file the user opened (for the page title). */
  name: string;
  models: IndexedModel[];
  /** Well-known run files that exist (relative paths): results.csv, summary.json, … */
  files: string[];
}

/** Files of a run folder the viewer knows how to use, when present (and the only top-level ones served). */
const KNOWN_FILES: string[] = [RUN_FILES.resultsCsv, RUN_FILES.results, RUN_FILES.summary];
const MAX_DEPTH = 5;

/** Resolve a user-given target into the folder to serve; throws UserError when there is no model. */
export function resolveTarget(target: string): { root: string; index: RunIndex } {
  const abs = resolve(target);
  if (!existsSync(abs)) throw new UserError(`'${target}' does not exist`);
  let root: string;
  if (statSync(abs).isFile()) {
    if (basename(abs) !== 'model.json') throw new UserError(`'${target}' is a file but not a model.json`);
    root = dirname(abs);
  } else {
    root = abs;
  }
  root = realpathSync(root);
  const index = buildIndex(root);
  if (index.models.length === 0) {
    throw new UserError(`no model.json found in '${target}' (expected a run folder with models/<task>/run-<k>/model.json, or a model folder)`);
  }
  return { root, index };
}

/** Scan a folder (a few levels deep) for model.json files and the known run files. */
export function buildIndex(root: string): RunIndex {
  const modelPaths: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      // A tagger folder's model.json (its tfjs copy) has embedding and attention layers the page
      // cannot read; `view` shows taggers through their projections (cli/commands/view.ts).
      if (e.isFile() && e.name === 'model.json') {
        if (!isTransformerDir(dir)) modelPaths.push(p);
      }
      // Real directories only: a symlink could lead outside the served folder.
      else if (e.isDirectory() && depth < MAX_DEPTH) walk(p, depth + 1);
    }
  };
  walk(root, 0);
  const models: IndexedModel[] = [];
  for (const p of modelPaths) {
    const rel = relative(root, p).split(sep).join('/');
    let layers: IndexedLayer[];
    let shards: string[];
    try {
      const json: unknown = JSON.parse(readInputFile(p, 'model.json').toString('utf8'));
      layers = denseLayersOf(json);
      shards = weightShardPaths(json);
    } catch {
      continue; // not a tfjs layers model: not something the viewer can show
    }
    if (layers.length === 0) continue;
    const m = modelPathInfo(rel);
    const folder = basename(dirname(p));
    // Only shards inside the model's folder (after symlinks, as the CLI reads them): a manifest cannot open up the rest of the folder.
    const modelDir = dirname(p);
    const inside = shards.filter((s) => {
      try {
        confinedPath(modelRoot(p), modelDir, s, 'weight shard');
        return !s.includes('\\');
      } catch {
        return false;
      }
    });
    const weightFiles = inside.map((s) => posix.normalize(posix.join(posix.dirname(rel), s)));
    models.push({ task: m ? m.task : folder, run: m ? m.run : null, path: rel, layers, weightFiles });
  }
  const files = KNOWN_FILES.filter((f) => existsSync(join(root, f)));
  return { name: basename(root), models, files };
}

/** Layer graphs as `weightscope reproduce`/`export` write them under graphs/ (src/graph/export.ts). */
const GRAPH_FILE = /^graphs\/(?:[^/]+\/)*[^/]+\.(?:csv|gexf|graphml|json)$/;

/**
 * The files of the served folder the page may fetch (relative paths with forward slashes): the
 * known run files, each indexed model's model.json and the weight files its manifest names, and
 * the layer graphs under graphs/. Never a dotfile or anything under a dot-folder.
 */
export function servedFilePredicate(index: RunIndex): (rel: string) => boolean {
  const allowed = new Set<string>(KNOWN_FILES);
  for (const m of index.models) {
    allowed.add(m.path);
    for (const w of m.weightFiles) allowed.add(w);
  }
  return (rel) => !rel.split('/').some((s) => s === '' || s.startsWith('.')) && (allowed.has(rel) || GRAPH_FILE.test(rel));
}

/**
 * The dense layers listed in a tfjs layers-format model.json: every 2-D `<layer>/kernel` in its
 * weights manifest, in order. Only names and shapes: the viewer parses the weights itself.
 */
export function denseLayersOf(modelJson: unknown): IndexedLayer[] {
  const manifest = (modelJson as { weightsManifest?: { weights?: { name?: unknown; shape?: unknown }[] }[] }).weightsManifest;
  if (!Array.isArray(manifest)) return [];
  const layers: IndexedLayer[] = [];
  for (const group of manifest) {
    for (const w of group.weights ?? []) {
      if (typeof w.name !== 'string' || !Array.isArray(w.shape) || w.shape.length !== 2) continue;
      const m = /^(.*)\/kernel$/.exec(w.name);
      if (!m) continue;
      layers.push({ name: m[1], shape: [Number(w.shape[0]), Number(w.shape[1])] });
    }
  }
  return layers;
}
