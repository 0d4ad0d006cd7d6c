/**
 * What noise does at the stochastic-resonance amplitude (docs/findings.md, "Mechanism, measured").
 * For every model of a task in a run folder, at amplitude a (default: the task's best a for
 * sign(w + U(−a, a)) in summary.json):
 *   - the fraction of weights whose sign the noise flips, by |w| decile (expected value
 *     max(0, a − |w|) / 2a, and measured over the per-batch draws);
 *   - whether the flipped weights move toward the signs of a better twin: the same seed trained
 *     longer (30 epochs, cosine T_max 30) and the same seed trained on [0, 1] inputs.
 *
 *   node dist/bench/mechanism.js RUN_DIR [task] [a]
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, deriveSeed, type DenseModel } from '../src/core/index.js';
import { checkTaskName, loadMnist, taskSplits } from '../src/data/index.js';
import { createEvaluator, loadModel, selectBackend, trainMlp, testBatchCount } from '../src/model/index.js';
import { applyProbe } from '../src/probes/index.js';
import { mlpConfigOf, trainConfigOf } from '../src/study/kinds/reference/tasks.js';

const [dir, taskArg = 'mnist-7v9', aArg] = process.argv.slice(2);
if (!dir) throw new Error('usage: node dist/bench/mechanism.js RUN_DIR [task] [a]');
const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
const o = run.config;
const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
const ts = summary.tasks.find((t: { task: string }) => t.task === taskArg);
const a = aArg ? Number(aArg) : ts.noise.bestSigned.level;
const parsed = checkTaskName(taskArg);
const pair: [number, number] = [parsed.a, parsed.b];

await selectBackend(o.backend);
const data = loadMnist();
const prep = (inputs: 'pm1' | 'unit') => taskSplits(data, 'mnist', pair, { ...o, inputs, validationFraction: 0 });
const pm1 = prep('pm1');
const unit = prep('unit');
const evPm1 = createEvaluator(pm1.test, 'pm1');
const evUnit = createEvaluator(unit.test, 'unit');
const batches = testBatchCount(pm1.test.n);

const allWeights = (model: DenseModel): Float32Array => {
  const out = new Float32Array(model.layers.reduce((s, l) => s + l.weights.length, 0));
  let k = 0;
  for (const l of model.layers) { out.set(l.weights, k); k += l.weights.length; }
  return out;
};
const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0);
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

const runs = readdirSync(join(dir, 'models', taskArg)).filter((d) => /^run-\d+$/.test(d)).sort((x, y) => Number(x.slice(4)) - Number(y.slice(4)));
console.log(`task ${taskArg}, a = ${a.toPrecision(4)}, ${runs.length} models, ${batches} test batches`);
const deciles = Array.from({ length: 10 }, () => ({ expected: 0, measured: 0, n: 0 }));
for (const r of runs) {
  const mdir = join(dir, 'models', taskArg, r);
  const model = await loadModel(mdir);
  const seed = existsSync(join(mdir, 'training.json')) ? JSON.parse(readFileSync(join(mdir, 'training.json'), 'utf8')).seed : 0;
  const w = allWeights(model);
  // |w| deciles (over all weights of the model)
  const sorted = Float64Array.from(w, Math.abs).sort();
  const edge = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const decileOf = (x: number): number => { let d = 0; while (d < 9 && Math.abs(x) >= edge((d + 1) / 10)) d++; return d; };
  const spec = { probe: 'binarize+noise' as const, variant: 'reference', signed: true, level: a, layer: 'all' };
  const draws = Array.from({ length: batches }, (_, b) => applyProbe(model, spec, new Rng(deriveSeed(1, 'mechanism', r, b))));
  const flipped = new Float64Array(w.length);
  for (const d of draws) {
    const s = allWeights(d);
    for (let i = 0; i < w.length; i++) if (s[i] !== sign(w[i])) flipped[i] += 1 / draws.length;
  }
  for (let i = 0; i < w.length; i++) {
    const dc = deciles[decileOf(w[i])];
    dc.expected += Math.max(0, a - Math.abs(w[i])) / (2 * a);
    dc.measured += flipped[i];
    dc.n++;
  }
  const accBin = evPm1.accuracy(applyProbe(model, { ...spec, probe: 'binarize', level: 0 }, new Rng(0)));
  const accNoise = evPm1.measure([draws])[0].accuracy;
  // twins from the same seed: trained longer, and on [0, 1] inputs
  const longer = (await trainMlp(pm1.train, 'pm1', mlpConfigOf(o), { ...trainConfigOf(o, seed, null), epochs: 30, cosineTMax: 30 })).model;
  const unitTwin = (await trainMlp(unit.train, 'unit', mlpConfigOf(o), trainConfigOf(o, seed, null))).model;
  const twinLine = (name: string, twin: DenseModel, binAcc: number): string => {
    const t = allWeights(twin);
    let agreeAll = 0, flippedN = 0, towards = 0, awayBefore = 0;
    for (let i = 0; i < w.length; i++) {
      if (sign(w[i]) === sign(t[i])) agreeAll++;
      if (flipped[i] > 0) {
        flippedN += flipped[i];
        // a flip moves toward the twin when the original sign disagreed with it
        if (sign(w[i]) !== sign(t[i])) towards += flipped[i];
        if (Math.abs(w[i]) < a && sign(w[i]) !== sign(t[i])) awayBefore++;
      }
    }
    void awayBefore;
    return `${name} (binarized ${binAcc.toFixed(3)}): signs agree on ${pct(agreeAll / w.length)} of all weights; of the flips, ${pct(towards / flippedN)} go toward the twin's sign`;
  };
  const binLonger = evPm1.accuracy(applyProbe(longer, { ...spec, probe: 'binarize', level: 0 }, new Rng(0)));
  const binUnit = evUnit.accuracy(applyProbe(unitTwin, { ...spec, probe: 'binarize', level: 0 }, new Rng(0)));
  console.log(`${r}: binarized ${accBin.toFixed(3)} → sign(w + noise) ${accNoise.toFixed(3)} (gain ${(accNoise - accBin >= 0 ? '+' : '') + (accNoise - accBin).toFixed(3)}); flipped per draw ${pct(flipped.reduce((s, x) => s + x, 0) / w.length)} of weights`);
  console.log(`  ${twinLine('longer-trained twin', longer, binLonger)}`);
  console.log(`  ${twinLine('[0,1]-input twin', unitTwin, binUnit)}`);
}
console.log('fraction of weights flipped per draw, by |w| decile (expected max(0, a − |w|)/2a vs measured):');
deciles.forEach((d, k) => console.log(`  decile ${k + 1}: expected ${pct(d.expected / d.n)}, measured ${pct(d.measured / d.n)}`));
