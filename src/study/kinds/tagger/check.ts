/**
 * The tagger study's sizes, checked before any work: the flags of `weightscope transformer` and
 * the jobs a Redis worker takes, against the same bounds (src/core/bounds.ts) and the same memory
 * estimate. Light (the registry loads it in every worker): no tfjs, no corpus.
 */
import { checkBound, checkMemory } from '../../../core/bounds.js';
import { PROBES } from '../../../core/results.js';
import { Fields, refuseMemory } from '../../fields.js';
import { JobRefused } from '../../types.js';
import type { TransformerConfig } from '../../../model/transformer/records.js';
import type { TaggerEvalJob, TaggerTrainJob, WindowMlpJob } from './types.js';

/** Table sizes the Brown corpus gives are far below these; a job past them is not of this study. */
const MAX_TABLE = 5_000_000;
const MAX_LEN = 4096;
const MAX_TAGS = 10_000;

/** The tagger's architecture, as its model records it (a type: nothing of the model is loaded). */
type Architecture = TransformerConfig;

/**
 * About how much memory training one tagger needs, in bytes: each parameter as weights, gradient
 * and two Adam moments (4 float32), and a batch's activations through every block (per token: 12
 * of width dim, 3 of width ffn, one attention row per head, kept for the backward pass).
 */
export function taggerTrainingBytes(c: Architecture, batchTokens: number): number {
  const embeddings = (c.vocab + c.suffixes + c.shapes + c.lexicon + c.maxLen) * c.dim;
  const perBlock = 4 * c.dim * c.dim + 2 * c.dim * c.ffn + 6 * c.dim + c.ffn;
  const params = embeddings + c.blocks * perBlock + c.dim * c.tags + c.tags;
  const activations = batchTokens * c.blocks * (12 * c.dim + 3 * c.ffn + c.heads * c.maxLen);
  return 4 * (4 * params + activations);
}

/** What sizes the tagger study: the flags of `weightscope transformer`. */
export interface TaggerSizes {
  runs: number;
  blocks: number;
  dim: number;
  heads: number;
  ffn: number;
  trainTokens: number;
  evalTokens: number;
}

/**
 * Check the flags that size the study against their bounds and the memory estimate, with table
 * sizes of the Brown corpus (about 25,000 words and suffixes).
 */
export function checkTaggerSizes(o: TaggerSizes, maxLen: number, batchTokens: number): void {
  checkBound('runs', o.runs, '--runs');
  checkBound('blocks', o.blocks, '--blocks');
  checkBound('dim', o.dim, '--dim');
  checkBound('heads', o.heads, '--heads');
  checkBound('ffn', o.ffn, '--ffn');
  checkBound('trainTokens', o.trainTokens, '--train-tokens');
  checkBound('evalTokens', o.evalTokens, '--eval-tokens');
  const brown = { vocab: 25_000, suffixes: 25_000, shapes: 16, lexicon: 16, maxLen, tags: 13 };
  checkMemory(`training a tagger of ${o.blocks} blocks, width ${o.dim}, feed-forward ${o.ffn}`, taggerTrainingBytes({ ...brown, blocks: o.blocks, dim: o.dim, heads: o.heads, ffn: o.ffn }, batchTokens));
}

function target(f: Fields): void {
  const t = f.object('target');
  t.string('task');
  t.string('tagTask', { oneOf: ['upos', 'names'] });
  t.string('backend', { oneOf: ['node', 'wasm', 'cpu'] });
}

function training(f: Fields): number {
  const t = f.object('training');
  t.integer('tokens', 1, 'trainTokens');
  const batchTokens = t.integer('batchTokens', 1, 'trainTokens');
  t.number('lr', Number.MIN_VALUE, 1e6);
  t.integer('warmupSteps', 0);
  t.integer('seed', 0);
  return batchTokens;
}

function tables(c: Fields): Pick<Architecture, 'vocab' | 'suffixes' | 'shapes' | 'lexicon' | 'tags'> {
  return {
    vocab: c.integer('vocab', 1),
    suffixes: c.integer('suffixes', 1),
    shapes: c.integer('shapes', 1),
    lexicon: c.integer('lexicon', 1),
    tags: c.integer('tags', 1),
  };
}

function checkTables(t: ReturnType<typeof tables>, where: string): void {
  for (const [k, v] of Object.entries(t)) if (v > (k === 'tags' ? MAX_TAGS : MAX_TABLE)) throw new JobRefused(`${where}.${k} is ${v}, above ${k === 'tags' ? MAX_TAGS : MAX_TABLE}`);
}

/** A tagger train job's shape, sizes and memory. */
export function checkTaggerTrainJob(job: TaggerTrainJob): void {
  const f = Fields.of(job, 'the job');
  target(f);
  f.object('target').integer('run', 0);
  f.hash('train');
  f.hash('test');
  f.string('dtype', { oneOf: ['float32'] });
  const c = f.object('config');
  const t = tables(c);
  checkTables(t, 'the job.config');
  const arch: Architecture = {
    ...t, maxLen: c.integer('maxLen', 1), blocks: c.integer('blocks', 1, 'blocks'), dim: c.integer('dim', 1, 'dim'), heads: c.integer('heads', 1, 'heads'), ffn: c.integer('ffn', 1, 'ffn'),
  };
  if (arch.maxLen > MAX_LEN) throw new JobRefused(`the job.config.maxLen is ${arch.maxLen}, above ${MAX_LEN}`);
  if (arch.dim % arch.heads !== 0) throw new JobRefused(`the job.config.dim ${arch.dim} is not divisible by heads ${arch.heads}`);
  const batchTokens = training(f);
  refuseMemory(`train job ${job.id}`, taggerTrainingBytes(arch, batchTokens));
}

/** A window-MLP job's shape, sizes and memory. */
export function checkWindowMlpJob(job: WindowMlpJob): void {
  const f = Fields.of(job, 'the job');
  target(f);
  for (const k of ['train', 'evaluation', 'test']) f.hash(k);
  f.string('dtype', { oneOf: ['float32'] });
  const c = f.object('config');
  const t = tables(c);
  checkTables(t, 'the job.config');
  const dim = c.integer('dim', 1, 'dim');
  const radius = c.integer('radius', 0);
  if (radius > 64) throw new JobRefused(`the job.config.radius is ${radius}, above 64`);
  const hidden = c.integer('hidden', 1, 'ffn');
  const batchTokens = training(f);
  const inputs = (2 * radius + 1) * dim;
  const params = (t.vocab + t.suffixes + t.shapes + t.lexicon) * dim + inputs * hidden + hidden * t.tags;
  refuseMemory(`train job ${job.id}`, 4 * (4 * params + 3 * batchTokens * (inputs + hidden + t.tags)));
}

function name(x: unknown, path: string): string {
  if (typeof x !== 'string') throw new JobRefused(`${path} is not a name`);
  return x;
}

/** A tagger eval job's shape and size: a bounded list of study items. */
export function checkTaggerEvalJob(job: TaggerEvalJob): void {
  const f = Fields.of(job, 'the job');
  target(f);
  f.hash('model');
  f.hash('evaluation');
  f.string('dtype', { oneOf: ['float32'] });
  f.list('items', 'jobEvaluations', (v, path) => {
    const item = Fields.of(v, path);
    item.string('probe', { oneOf: PROBES });
    item.string('variant');
    item.boolean('signed');
    item.number('level');
    item.integer('run', 0);
    item.string('target');
    item.integer('seed', 0);
    item.list('layers', 10_000, name);
    if (item.value.ablate !== undefined) item.list('ablate', 10_000, name);
    return item;
  });
}
