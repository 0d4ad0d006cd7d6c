/**
 * Tagged tokens per second of the transformer tagger (the `weightscope transformer` default
 * architecture: 4 blocks, d 64, 4 heads, FFN 256), on real Brown sentences, against the PyTorch
 * peer (bench/python/transformer_peer.py: the same model on padded batches of the same sentence
 * lengths, the same batch size) measured in the same run:
 *   - training, one thread each: our engine (one pass over 800 training sentences in batches of the
 *     study's default size) vs PyTorch Adam (set_num_threads(1));
 *   - evaluation, one thread each: our engine vs PyTorch no_grad, batches of 2,048 tokens;
 *   - evaluation of probed models as the study's eval jobs on the thread-pool executor (one worker
 *     per core, each probe applied in the worker) vs PyTorch no_grad at its best thread count;
 *   - a plain tfjs forward pass (padded, masked batches of 32 sentences on the WASM backend), for scale.
 * Ours and the peer are interleaved, best of BENCH_REPS (3) each. CPU seconds are printed beside
 * wall seconds: on a shared machine they tell the single-core rate. Prints the target lines
 * `ratio transformer … vs PyTorch …`. Run: `node dist/bench/transformer.js`.
 */
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend, silenceTfjs } from '../src/model/backend.js';
import { loadTagging } from '../src/data/brown.js';
import { initTransformer, packBatch } from '../src/model/transformer/model.js';
import { DEFAULT_TAGGER_TRAIN, tagSentences, trainTagger } from '../src/model/transformer/train.js';
import { padBatch, tfjsForward } from '../src/model/transformer/tfjs-forward.js';
import { evaluationSample, taggerConfig, DEFAULT_STUDY, MAX_LEN, MIN_WORD_COUNT } from '../src/study/kinds/tagger/config.js';
import { MemoryBlobStore } from '../src/study/blobs.js';
import { createThreadPoolExecutor } from '../src/study/executors/thread-pool.js';
import { serializeSentences, serializeTagger } from '../src/study/kinds/tagger/blobs.js';
import { taggerStudyItems, taggerEvalJobs } from '../src/study/kinds/tagger/plan.js';
import { interleaved, reportRatio } from './ratio.js';
import { runPython } from './train.js';

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface Rate {
  rate: number;
  cpuRate: number;
}

function measure(tokens: number, f: () => void): Rate {
  const t = performance.now();
  const c = cpuSeconds();
  f();
  return { rate: tokens / ((performance.now() - t) / 1000), cpuRate: tokens / (cpuSeconds() - c) };
}

const best = (rs: (Rate | null)[]): Rate | null => rs.reduce<Rate | null>((b, r) => (r && (!b || r.rate > b.rate) ? r : b), null);

interface PeerResult {
  torch: string;
  threads: Record<string, { train: number; eval: number }>;
}

export async function run(): Promise<void> {
  silenceTfjs();
  const backend = await selectBackend('wasm');
  const reps = Number(process.env.BENCH_REPS ?? 3);
  const data = loadTagging({ maxLen: MAX_LEN, minCount: MIN_WORD_COUNT });
  const config = taggerConfig(data, DEFAULT_STUDY);
  const train = data.train.slice(0, 800);
  const trainTokens = train.reduce((s, x) => s + x.tag.length, 0);
  const evaluation = evaluationSample(data.test, 8000);
  const evalTokens = evaluation.reduce((s, x) => s + x.tag.length, 0);
  const { batchTokens } = DEFAULT_TAGGER_TRAIN;
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const trainCfg = { tokens: trainTokens, batchTokens, lr: 1e-3, warmupSteps: 5, seed: 1 };
  const model = initTransformer(config, 1);
  trainTagger(model, train, trainCfg); // a trained model to evaluate (and a warm-up)

  const dir = mkdtempSync(join(tmpdir(), 'ws-bench-py-'));
  const specOf = (threads: number[]) => {
    const path = join(dir, `spec-${threads.join('-')}.json`);
    writeFileSync(path, JSON.stringify({ config, train: train.map((s) => s.tag.length), eval: evaluation.map((s) => s.tag.length), batchTokens, threads, evalPasses: 3 }));
    return path;
  };
  const oneThread = specOf([1]);
  let torch = '';
  const peer = (): { train: Rate; eval: Rate } | null => {
    const r = runPython('transformer_peer.py', [oneThread]) as PeerResult | null;
    if (!r) return null;
    torch = r.torch;
    const t = r.threads['1'];
    return { train: { rate: t.train, cpuRate: NaN }, eval: { rate: t.eval, cpuRate: NaN } };
  };
  // ours (training, evaluation) and the peer interleaved; evaluation best of 3 passes inside each measurement, as the peer's
  const [oursTrain, oursEval, peers] = await interleaved(reps, [
    () => measure(trainTokens, () => trainTagger(initTransformer(config, 1), train, trainCfg)),
    () => best([0, 1, 2].map(() => measure(evalTokens, () => tagSentences(model, evaluation))))!,
    peer,
  ]);
  const ours = { train: best(oursTrain)!, eval: best(oursEval)! };
  const py = peers.some((p) => p) ? { train: best(peers.map((p) => p?.train ?? null))!, eval: best(peers.map((p) => p?.eval ?? null))! } : null;

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
  let poolRate = 0;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    await pool.run(jobsOf(items, 2), blobs, () => {});
    poolRate = Math.max(poolRate, (items.length * evalTokens) / ((performance.now() - t) / 1000));
  }
  await pool.close();
  const bestThreads = runPython('transformer_peer.py', [specOf([1, 2])]) as PeerResult | null;
  const peerBestEval = bestThreads ? Object.entries(bestThreads.threads).sort((a, b) => b[1].eval - a[1].eval)[0] : null;

  console.log(`transformer tagger ${config.blocks} blocks, d ${config.dim}, ${config.heads} heads, FFN ${config.ffn}; ` +
    `${trainTokens} training tokens in batches of ≤ ${batchTokens}, ${evalTokens} evaluation tokens; best of ${reps}, interleaved; tfjs backend ${backend.name} (plain tfjs forward only)`);
  console.log(`training    ours 1 thread ${fmt(ours.train.rate)} tok/s (${fmt(ours.train.cpuRate)} per CPU-s)` +
    (py ? ` | PyTorch ${torch} 1 thread ${fmt(py.train.rate)} tok/s` : ''));
  console.log(`evaluation  ours 1 thread ${fmt(ours.eval.rate)} tok/s (${fmt(ours.eval.cpuRate)} per CPU-s)` + (py ? ` | PyTorch 1 thread ${fmt(py.eval.rate)} tok/s` : '') +
    ` | ours probed, ${workers} workers ${fmt(poolRate)} tok/s` + (peerBestEval ? ` | PyTorch best (${peerBestEval[0]} thr) ${fmt(peerBestEval[1].eval)} tok/s` : '') +
    ` | plain tfjs forward ${fmt(tfjsEval.rate)} tok/s`);
  reportRatio('transformer training tok/s, 1 thread', 'PyTorch 1 thread', py ? ours.train.rate / py.train.rate : null, 1.0);
  reportRatio('transformer evaluation tok/s, 1 thread', 'PyTorch 1 thread', py ? ours.eval.rate / py.eval.rate : null, 1.5);
  reportRatio(`transformer probed-model evaluation tok/s, ${workers} workers`, 'PyTorch best thread count', peerBestEval ? poolRate / peerBestEval[1].eval : null, 0.5);
  void tfjsTokens;
}

/**
 * `node --cpu-prof dist/bench/transformer.js --profile`: only our engine, on the bench's data and
 * settings (training 20 passes over the training slice, then 20 evaluations), for a CPU profile.
 */
async function profile(): Promise<void> {
  silenceTfjs();
  await selectBackend('wasm');
  const data = loadTagging({ maxLen: MAX_LEN, minCount: MIN_WORD_COUNT });
  const config = taggerConfig(data, DEFAULT_STUDY);
  const train = data.train.slice(0, 400);
  const trainTokens = train.reduce((s, x) => s + x.tag.length, 0);
  const evaluation = evaluationSample(data.test, 4000);
  const evalTokens = evaluation.reduce((s, x) => s + x.tag.length, 0);
  const model = initTransformer(config, 1);
  // phase boundaries on the profile's clock (µs, process.hrtime), to cut the profile into training and evaluation
  const mark = () => Number(process.hrtime.bigint() / 1000n);
  const t0 = mark();
  const t = measure(20 * trainTokens, () => trainTagger(model, train, { tokens: 20 * trainTokens, batchTokens: DEFAULT_TAGGER_TRAIN.batchTokens, lr: 1e-3, warmupSteps: 5, seed: 1 }));
  const t1 = mark();
  const e = measure(20 * evalTokens, () => {
    for (let k = 0; k < 20; k++) tagSentences(model, evaluation);
  });
  const t2 = mark();
  console.log(`profile: training ${Math.round(t.rate)} tok/s (${Math.round(t.cpuRate)} per CPU-s), evaluation ${Math.round(e.rate)} tok/s (${Math.round(e.cpuRate)} per CPU-s)`);
  console.log(`phases (µs, hrtime): training ${t0}–${t1}, evaluation ${t1}–${t2}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await (process.argv.includes('--profile') ? profile() : run());
