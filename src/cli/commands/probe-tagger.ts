/**
 * `weightscope probe runs/<ts>/models/brown-upos/run-0 --probe binarize [--per-layer | --layer NAME]`:
 * probes on a saved transformer tagger (docs/transformer.md), scored on held-out Brown sentences
 * encoded with the tagger's own vocabulary, evaluated as the study's eval jobs on the thread-pool
 * executor (one worker per core). Rows are the
 * study's rows: the `layer` column names the layer probed, `f1` is macro-F1 (entity F1 for names).
 */
import { availableParallelism } from 'node:os';
import { UserError } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/io.js';
import { findLayer } from '../../core/layer.js';
import { deriveSeed } from '../../core/rng.js';
import { rowsToCsv, type ProbeName, type ResultRow } from '../../core/results.js';
import { chunkSentence, encodeSentence, readBrown, splitBrown, type TagTask } from '../../data/brown.js';
import { asDense, layerNames, packBatch } from '../../model/transformer/model.js';
import { loadTransformer, readVocabulary } from '../../model/transformer/files.js';
import { isRandomProbe, validateSpec } from '../../probes/index.js';
import { MemoryBlobStore } from '../../study/blobs.js';
import { createThreadPoolExecutor } from '../../study/executors/thread-pool.js';
import { serializeSentences, serializeTagger } from '../../study/kinds/tagger/blobs.js';
import { DEFAULT_STUDY, evaluationSample } from '../../study/kinds/tagger/config.js';
import { STUDY_TASK, taggerEvalJobs, type StudyItem } from '../../study/kinds/tagger/plan.js';
import type { TaggerEvalJobResult } from '../../study/kinds/tagger/types.js';
import { backendNameOf } from '../../study/backend.js';
import { selectBackend } from '../../model/backend.js';
import { createProgress } from '../progress.js';

export interface TaggerProbeFlags {
  probe: ProbeName;
  variant: string;
  levels: number[];
  signed: boolean;
  layer: string;
  perLayer: boolean;
  repeats: number;
  seed: number;
  dataDir?: string;
  evalTokens?: number;
  out?: string;
  json: boolean;
  quiet?: boolean;
}

export async function probeTaggerCommand(dir: string, opts: TaggerProbeFlags): Promise<ResultRow[]> {
  const { model, tags } = loadTransformer(dir);
  const vocab = readVocabulary(dir);
  const task: TagTask = tags[0] === 'NAME' ? 'names' : 'upos';
  if (opts.perLayer && opts.layer !== 'all') throw new UserError('--per-layer probes every layer; leave out --layer (or drop --per-layer to probe one layer)');
  if (opts.layer !== 'all') findLayer(asDense(model), opts.layer);
  const signed = opts.signed || opts.probe === 'binarize' || opts.probe === 'binarize+noise';
  for (const level of opts.levels) validateSpec({ probe: opts.probe, variant: opts.variant, signed, level, layer: opts.layer });

  // the held-out files of the study's split, encoded with the tagger's own vocabulary and lexicon
  const { test } = splitBrown(readBrown(opts.dataDir));
  const sentences = test.flatMap((f) => f.sentences.flatMap((s) => chunkSentence(encodeSentence(s, vocab, task), model.config.maxLen)));
  const evaluation = evaluationSample(sentences, opts.evalTokens ?? DEFAULT_STUDY.evalTokens);

  const taskName = STUDY_TASK[task];
  const names = layerNames(model.config);
  const targets = opts.perLayer ? names.map((n) => ({ name: n, layers: [n] })) : [{ name: opts.layer, layers: opts.layer === 'all' ? names : [opts.layer] }];
  const items: StudyItem[] = [{ probe: 'baseline', variant: 'reference', signed: false, level: 0, run: 0, target: 'all', layers: [], seed: 0 }];
  for (const t of targets) {
    for (const level of opts.levels) {
      const spec = { probe: opts.probe, variant: opts.variant, signed, level };
      const repeats = isRandomProbe(spec) ? opts.repeats : 1;
      for (let rep = 0; rep < repeats; rep++) {
        const seed = isRandomProbe(spec) ? deriveSeed(opts.seed, taskName, spec.probe, spec.variant, level, t.name, rep) : 0;
        items.push({ ...spec, run: 0, target: t.name, layers: t.layers, seed });
      }
    }
  }

  const progress = createProgress({ quiet: opts.quiet || opts.json });
  const stage = progress.stage(`probe ${dir}`, items.length, 'evaluations');
  const blobs = new MemoryBlobStore();
  // The backend every job names (the workers' matrix products run on exactly it).
  const backend = backendNameOf(await selectBackend());
  const jobs = taggerEvalJobs({ task: taskName, tagTask: task, backend }, 0, blobs.putSync(serializeTagger(model)), blobs.putSync(serializeSentences(packBatch(evaluation))), items);
  const executor = createThreadPoolExecutor({ workers: Math.max(1, Math.min(availableParallelism(), jobs.length)) });
  const rowsOf = new Map<string, ResultRow[]>();
  const progressOf = new Map<string, number>();
  const update = () => stage.update([...progressOf.values()].reduce((a, b) => a + b, 0));
  try {
    await executor.run(jobs, blobs, (r) => {
      rowsOf.set(r.id, (r as TaggerEvalJobResult).rows);
      progressOf.set(r.id, (r as TaggerEvalJobResult).rows.length);
      update();
    }, (id, event) => {
      if (event.type !== 'progress') return;
      progressOf.set(id, event.done);
      update();
    });
  } finally {
    await executor.close();
    stage.stop();
  }
  // in plan order, whatever order the workers finished in
  const rows = jobs.flatMap((j) => rowsOf.get(j.id)!);

  if (opts.out) writeFileAtomic(opts.out, rowsToCsv(rows));
  if (opts.json) for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    process.stdout.write(['layer', 'probe', 'variant', 'level', 'seed', 'accuracy', task === 'names' ? 'entity_f1' : 'macro_f1'].join('\t') + '\n');
    for (const r of rows) process.stdout.write([r.layer, r.probe, r.variant, r.level, r.seed, r.accuracy.toFixed(4), r.f1?.toFixed(4) ?? ''].join('\t') + '\n');
  }
  return rows;
}
