/**
 * Tagged tokens per second of the transformer tagger (the `weightscope transformer` default
 * architecture: 4 blocks, d 64, 4 heads, FFN 256), on real Brown sentences:
 *   - training: our engine (one thread) vs PyTorch (Adam, padded batches; best of 1 and 2 threads);
 *   - evaluation of probed models: our engine on one thread and as the study's eval jobs on the
 *     thread-pool executor (one worker per core, each probe applied in the worker), a plain tfjs forward pass (padded,
 *     masked batches of 32 sentences on the WASM backend), and PyTorch no_grad (best thread count).
 * CPU seconds are printed beside wall seconds: on a shared machine they tell the single-core rate.
 * Run: `node dist/bench/transformer.js`.
 */
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend, silenceTfjs } from '../src/model/backend.js';
import { loadTagging } from '../src/data/brown.js';
import { initTransformer, packBatch } from '../src/model/transformer/model.js';
import { tagSentences, trainTagger } from '../src/model/transformer/train.js';
import { padBatch, tfjsForward } from '../src/model/transformer/tfjs-forward.js';
import { evaluationSample, taggerConfig, DEFAULT_STUDY, MAX_LEN, MIN_WORD_COUNT } from '../src/study/kinds/tagger/config.js';
import { MemoryBlobStore } from '../src/study/blobs.js';
import { createThreadPoolExecutor } from '../src/study/executors/thread-pool.js';
import { serializeSentences, serializeTagger } from '../src/study/kinds/tagger/blobs.js';
import { taggerStudyItems, taggerEvalJobs } from '../src/study/kinds/tagger/plan.js';
import { runPython } from './train.js';

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function measure(tokens: number, f: () => void): { rate: number; cpuRate: number } {
  const t = performance.now();
  const c = cpuSeconds();
  f();
  return { rate: tokens / ((performance.now() - t) / 1000), cpuRate: tokens / (cpuSeconds() - c) };
}

export async function run(): Promise<void> {
  silenceTfjs();
  const backend = await selectBackend('wasm');
  const data = loadTagging({ maxLen: MAX_LEN, minCount: MIN_WORD_COUNT });
  const config = taggerConfig(data, DEFAULT_STUDY);
  const train = data.train.slice(0, 400);
  const trainTokens = train.reduce((s, x) => s + x.tag.length, 0);
  const evaluation = evaluationSample(data.test, 4000);
  const evalTokens = evaluation.reduce((s, x) => s + x.tag.length, 0);
  const model = initTransformer(config, 1);
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

  const ours = measure(trainTokens, () => trainTagger(model, train, { tokens: trainTokens, batchTokens: 512, lr: 1e-3, warmupSteps: 5, seed: 1 }));
  const oursEval = measure(evalTokens, () => tagSentences(model, evaluation));
  let tfjsTokens = 0;
  const tfjsEval = measure(evalTokens, () => {
    for (let k = 0; k < evaluation.length; k += 32) {
      const batch = padBatch(evaluation.slice(k, k + 32));
      const logits = tfjsForward(model, batch);
      logits.argMax(-1).dataSync();
      logits.dispose();
      tfjsTokens += batch.mask.reduce((s, m) => s + m, 0);
    }
  });

  // probed-model evaluation as the study's eval jobs on the thread pool: 16 items of the real plan
  const items = taggerStudyItems({ blocks: config.blocks, runs: 1, seed: 1, task: 'bench', quick: false }).filter((i) => i.probe === 'binarize').slice(0, 16);
  const workers = availableParallelism();
  const blobs = new MemoryBlobStore();
  const target = { task: 'bench', tagTask: 'upos' as const, backend: 'wasm' as const };
  const jobsOf = (list: typeof items, chunk: number) => taggerEvalJobs(target, 0, blobs.putSync(serializeTagger(model)), blobs.putSync(serializeSentences(packBatch(evaluation))), list, undefined, chunk);
  const pool = createThreadPoolExecutor({ workers });
  // warm-up: every worker selects its backend and decodes the model once
  await pool.run(jobsOf(items.slice(0, workers), 1), blobs, () => {});
  const t = performance.now();
  await pool.run(jobsOf(items, 2), blobs, () => {});
  const poolRate = (items.length * evalTokens) / ((performance.now() - t) / 1000);
  await pool.close();

  const spec = join(mkdtempSync(join(tmpdir(), 'ws-bench-py-')), 'spec.json');
  writeFileSync(spec, JSON.stringify({ config, train: train.map((s) => s.tag.length), eval: evaluation.map((s) => s.tag.length), batchTokens: 512, threads: [1, 2] }));
  const py = runPython('transformer_peer.py', [spec]) as { torch: string; threads: Record<string, { train: number; eval: number }> } | null;
  const best = (k: 'train' | 'eval') => (py ? Math.max(...Object.values(py.threads).map((r) => r[k])) : NaN);
  const bestThreads = (k: 'train' | 'eval') => (py ? Object.entries(py.threads).sort((a, b) => b[1][k] - a[1][k])[0][0] : '-');

  console.log(`transformer tagger ${config.blocks} blocks, d ${config.dim}, ${config.heads} heads, FFN ${config.ffn}; tfjs backend ${backend.name}; ${trainTokens} training / ${evalTokens} evaluation tokens`);
  console.log(`training    ours 1 thread ${fmt(ours.rate)} tok/s (${fmt(ours.cpuRate)} per CPU-s)` +
    (py ? ` | PyTorch ${py.torch} best (${bestThreads('train')} thr) ${fmt(best('train'))} tok/s | ratio ${(ours.rate / best('train')).toFixed(3)}` : ''));
  console.log(`evaluation  ours 1 thread ${fmt(oursEval.rate)} tok/s (${fmt(oursEval.cpuRate)} per CPU-s) | ours probed, ${workers} workers ${fmt(poolRate)} tok/s | ` +
    `plain tfjs forward ${fmt(tfjsEval.rate)} tok/s` +
    (py ? ` | PyTorch best (${bestThreads('eval')} thr) ${fmt(best('eval'))} tok/s | probed-eval ratio ${(poolRate / best('eval')).toFixed(3)} (target ≥ 0.5)` : ''));
  void tfjsTokens;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
