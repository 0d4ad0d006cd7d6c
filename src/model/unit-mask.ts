/**
 * Predictions of a dense model with some hidden units removed: the forward pass behind unit
 * ablation and circuit search (src/compare), where the same model is evaluated with hundreds of
 * different sets of units taken out.
 *
 * Removing a hidden unit sets its activation to 0 for every input, which is exactly zeroing its
 * outgoing weights (the unit-ablation definition of docs/compare.md). Nothing before the first
 * hidden layer depends on which units are removed, so its activations over the test set are
 * computed once (from the evaluator's sparse form of the inputs, in float64) and every masked
 * prediction only runs the later, narrow layers: for 784 → 64 → 2 that is 128 multiply-adds per
 * image instead of ~10 000. The prediction rule is predict.ts's (classOfLogits on the last layer's
 * logits, a relu there applied first), as in the evaluator.
 */
import { UserError, type DenseModel } from '../core/index.js';
import { activateInPlace, classOfLogits } from './predict.js';
import { sparseInputs } from './evaluator.js';
import type { InputScaling, Split } from './split.js';

/** A hidden unit: output `unit` of layer `layer` (0 … L−2; the last layer's outputs are not hidden). */
export interface HiddenUnit {
  layer: number;
  unit: number;
}

/** Every hidden unit, layer by layer: flat index k of a mask is the k-th of this list. */
export function hiddenUnits(model: DenseModel): HiddenUnit[] {
  const out: HiddenUnit[] = [];
  model.layers.slice(0, -1).forEach((l, layer) => {
    for (let unit = 0; unit < l.shape[1]; unit++) out.push({ layer, unit });
  });
  return out;
}

export interface UnitMaskRunner {
  /** Test images. */
  readonly n: number;
  readonly labels: Uint8Array;
  readonly units: HiddenUnit[];
  /** Predicted class of every test image with the units whose flag is set in `removed` (length units.length) taken out. */
  predict(removed: Uint8Array): Uint8Array;
  /** Per image: 1 where the prediction (with `removed` taken out) is the label. */
  correct(removed: Uint8Array): Uint8Array;
  /** Mean activation magnitude of every unit of every layer's input side (inputs, then each hidden layer), over the test set. */
  meanAbsInputs(): Float64Array[];
}

/** A runner for one model on one test set (the first hidden layer's activations computed here, once). */
export function unitMaskRunner(model: DenseModel, test: Split, inputs: InputScaling): UnitMaskRunner {
  const L = model.layers.length;
  if (L < 1) throw new UserError('model has no dense layers');
  const s = sparseInputs(test, inputs);
  const first = model.layers[0];
  if (first.shape[0] !== s.d) throw new UserError(`layer '${first.name}' expects ${first.shape[0]} inputs but the images have ${s.d} pixels`);
  for (let k = 1; k < L; k++) {
    if (model.layers[k].shape[0] !== model.layers[k - 1].shape[1]) {
      throw new UserError(`layer '${model.layers[k].name}' expects ${model.layers[k].shape[0]} inputs but '${model.layers[k - 1].name}' gives ${model.layers[k - 1].shape[1]}`);
    }
  }
  const n = s.n;
  const h0 = first.shape[1];
  const W0 = first.weights;
  // b + Σ_i x(mode_i)·W_i, then the entries that differ from the mode (evaluator.ts explains the fold).
  const fold = new Float64Array(h0);
  if (first.bias) for (let j = 0; j < h0; j++) fold[j] = first.bias[j];
  for (let i = 0; i < s.d; i++) {
    const x = s.baseX[i];
    if (x !== 0) for (let j = 0; j < h0; j++) fold[j] += x * W0[i * h0 + j];
  }
  const a0 = new Float64Array(n * h0);
  const row = new Float64Array(h0);
  for (let img = 0; img < n; img++) {
    row.set(fold);
    for (let e = s.rowPtr[img]; e < s.rowPtr[img + 1]; e++) {
      const v = s.val[e];
      const base = s.col[e] * h0;
      for (let j = 0; j < h0; j++) row[j] += v * W0[base + j];
    }
    // a single-layer model: these are its logits (a relu on the last layer is applied, as predict.ts says)
    if (L > 1 || first.activation === 'relu') activateInPlace(row, h0, first.activation);
    a0.set(row, img * h0);
  }
  const units = hiddenUnits(model);
  const offsets = model.layers.map((_, k) => model.layers.slice(0, k).reduce((t, l) => t + l.shape[1], 0));
  const widths = model.layers.map((l) => l.shape[1]);
  const bufs = widths.map((w) => new Float64Array(w));

  const predict = (removed: Uint8Array): Uint8Array => {
    if (removed.length !== units.length) throw new UserError(`a unit mask needs ${units.length} flags, got ${removed.length}`);
    const pred = new Uint8Array(n);
    if (L === 1) {
      for (let img = 0; img < n; img++) pred[img] = classOfLogits(a0, img * h0, h0);
      return pred;
    }
    // the kept units of each hidden layer, so a removed unit costs nothing
    const kept = model.layers.slice(0, -1).map((l, k) => {
      const list: number[] = [];
      for (let u = 0; u < l.shape[1]; u++) if (!removed[offsets[k] + u]) list.push(u);
      return Int32Array.from(list);
    });
    for (let img = 0; img < n; img++) {
      let v: Float64Array = a0.subarray(img * h0, (img + 1) * h0);
      for (let k = 1; k < L; k++) {
        const layer = model.layers[k];
        const c = widths[k];
        const out = bufs[k];
        const W = layer.weights;
        if (layer.bias) for (let j = 0; j < c; j++) out[j] = layer.bias[j];
        else out.fill(0);
        const keep = kept[k - 1];
        for (let t = 0; t < keep.length; t++) {
          const i = keep[t];
          const x = v[i];
          if (x === 0) continue;
          const base = i * c;
          for (let j = 0; j < c; j++) out[j] += x * W[base + j];
        }
        if (k < L - 1 || layer.activation === 'relu') activateInPlace(out, c, layer.activation);
        v = out;
      }
      pred[img] = classOfLogits(v, 0, widths[L - 1]);
    }
    return pred;
  };

  return {
    n,
    labels: s.labels,
    units,
    predict,
    correct: (removed) => {
      const p = predict(removed);
      const c = new Uint8Array(n);
      for (let k = 0; k < n; k++) c[k] = p[k] === s.labels[k] ? 1 : 0;
      return c;
    },
    meanAbsInputs: () => {
      const out: Float64Array[] = [];
      // the inputs themselves: baseX for pixels at their mode, plus the sparse entries' deviations
      const x = new Float64Array(s.d);
      const counts = new Float64Array(s.d);
      for (let img = 0; img < n; img++) {
        for (let e = s.rowPtr[img]; e < s.rowPtr[img + 1]; e++) {
          const i = s.col[e];
          x[i] += Math.abs(s.baseX[i] + s.val[e]);
          counts[i]++;
        }
      }
      for (let i = 0; i < s.d; i++) x[i] = n === 0 ? 0 : (x[i] + (n - counts[i]) * Math.abs(s.baseX[i])) / n;
      out.push(x);
      if (L === 1) return out;
      const layersAct = model.layers.slice(0, -1).map((l) => new Float64Array(l.shape[1]));
      for (let img = 0; img < n; img++) {
        let v: Float64Array = a0.subarray(img * h0, (img + 1) * h0);
        for (let j = 0; j < h0; j++) layersAct[0][j] += Math.abs(v[j]);
        for (let k = 1; k < L - 1; k++) {
          const layer = model.layers[k];
          const c = widths[k];
          const o = bufs[k];
          if (layer.bias) for (let j = 0; j < c; j++) o[j] = layer.bias[j];
          else o.fill(0);
          for (let i = 0; i < v.length; i++) {
            const xi = v[i];
            if (xi === 0) continue;
            for (let j = 0; j < c; j++) o[j] += xi * layer.weights[i * c + j];
          }
          activateInPlace(o, c, layer.activation);
          for (let j = 0; j < c; j++) layersAct[k][j] += Math.abs(o[j]);
          v = o;
        }
      }
      for (const a of layersAct) for (let j = 0; j < a.length; j++) a[j] = n === 0 ? 0 : a[j] / n;
      return [...out, ...layersAct];
    },
  };
}
