/**
 * The perturbation fingerprint of a picture-drawing network (a FER CPPN, docs/fer.md) as one row,
 * with the picture's SSIM to the unperturbed drawing where a classifier's fingerprint has accuracy
 * (baseline 1, chance 0): the five probe curves, the FER paper's single-weight sweeps, unit
 * ablation and the unit circuit, the graph statistics. The measurements are those of
 * src/probes/cppn-fingerprint.ts; this module turns them into the same columns as fingerprint.ts.
 */
import type { LayerRecord } from '../core/layer.js';
import { cppnPlanes, pictureOf, type Cppn, type CppnPlanes } from '../model/cppn.js';
import {
  ablateUnits, measureChange, pictureBaseline, probeCurves, summarizeSweeps, sweepWeights, weightRefs,
  type CppnProbePlan, type PictureBaseline,
} from '../probes/cppn-fingerprint.js';
import { linearGrid, log2Grid } from '../probes/index.js';
import { ascendingOrder, greedyCircuit, CIRCUIT_DEFAULTS } from './circuit.js';
import { ablationFeatures, curveFeatures, curveKey, graphFeatures, GRAPH_DEFAULTS } from './features.js';
import { graphOptions, orderedFeatures } from './fingerprint.js';
import type { AblationPoint, Fingerprint, FingerprintCurve, FingerprintRow, FoundCircuit } from './types.js';

export interface CppnFingerprintPlan {
  /** Pixels a side of every drawing compared (default 64). */
  size: number;
  /** Probe levels (src/probes/cppn-fingerprint.ts). */
  probes: CppnProbePlan;
  /** Non-zero weights swept (sampled; 0: no sweeps). */
  sweepSample: number;
  ablation: boolean;
  circuit: boolean;
  matters: number;
  tolerance: number;
  necessity: number;
  nullModel: string | null;
  samples: number;
}

/** Lighter than the fer-demo defaults (a comparison of two networks in about a minute). */
export const CPPN_FINGERPRINT_PLAN: CppnFingerprintPlan = {
  size: 64,
  probes: {
    prune: [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.97, 0.99],
    noise: log2Grid(-8, 0, 5),
    signflip: linearGrid(0, 1, 6),
    randomize: ['A', 'B', 'G', 'curveball'],
    binarize: true,
    seeds: 2,
  },
  sweepSample: 32,
  ablation: true,
  circuit: true,
  matters: 0.01,
  tolerance: CIRCUIT_DEFAULTS.tolerance,
  necessity: CIRCUIT_DEFAULTS.necessity,
  nullModel: GRAPH_DEFAULTS.nullModel,
  samples: GRAPH_DEFAULTS.samples,
};

export interface CppnFingerprintOptions {
  plan?: Partial<Omit<CppnFingerprintPlan, 'probes'>> & { probes?: Partial<CppnProbePlan> };
  seed?: number;
  identity?: Partial<Record<'path' | 'format' | 'group', string>>;
  onStage?: (stage: string) => void;
}

/** The CPPN with the hidden units flagged in `removed` taken out (their outgoing weights zeroed); `units` lists (weight layer k ≥ 1, row u). */
function withoutUnits(cppn: Cppn, units: readonly { layer: number; unit: number }[], removed: Uint8Array): { cppn: Cppn } {
  const layers = cppn.layers.slice();
  units.forEach((u, i) => {
    if (!removed[i]) return;
    if (layers[u.layer] === cppn.layers[u.layer]) layers[u.layer] = { ...layers[u.layer], weights: layers[u.layer].weights.slice() };
    const l: LayerRecord = layers[u.layer];
    l.weights.fill(0, u.unit * l.shape[1], (u.unit + 1) * l.shape[1]);
  });
  return { cppn: { ...cppn, layers } };
}

/** The fingerprint of a CPPN: metric SSIM to its unperturbed drawing. */
export function fingerprintCppn(cppn: Cppn, options: CppnFingerprintOptions = {}): Fingerprint {
  const plan: CppnFingerprintPlan = { ...CPPN_FINGERPRINT_PLAN, ...options.plan, probes: { ...CPPN_FINGERPRINT_PLAN.probes, ...options.plan?.probes } };
  const seed = options.seed ?? 1;
  const stage = options.onStage ?? (() => {});
  const base: PictureBaseline = pictureBaseline(cppn, { size: plan.size });

  stage('probes');
  const rows = probeCurves(base, plan.probes, seed);
  const byCurve = new Map<string, FingerprintCurve>();
  const sums = new Map<string, { sum: number; count: number }>();
  for (const r of rows) {
    const key = curveKey(r.probe, r.variant);
    if (!byCurve.has(key)) byCurve.set(key, { key, probe: r.probe, variant: r.variant, axis: r.probe === 'noise' ? 'log2' : 'linear', points: [] });
    const at = `${key}|${r.level}`;
    const s = sums.get(at) ?? { sum: 0, count: 0 };
    s.sum += r.ssim;
    s.count++;
    sums.set(at, s);
  }
  // randomizations at one level each: one curve per null model, so each gets its own `at_` column
  const curves = [...byCurve.values()].map((c) => {
    const levels = [...new Set(rows.filter((r) => curveKey(r.probe, r.variant) === c.key).map((r) => r.level))].sort((a, b) => a - b);
    return { ...c, points: levels.map((level) => ({ level, metric: sums.get(`${c.key}|${level}`)!.sum / sums.get(`${c.key}|${level}`)!.count })) };
  });
  const features: Record<string, number | null> = { ...curveFeatures(curves, 1, 0) };
  const parts = ['probes'];
  const missing = ['shift: not defined for a drawing'];

  if (plan.sweepSample > 0 && weightRefs(cppn).length > 0) {
    stage('single-weight sweeps');
    parts.push('sweeps');
    const s = summarizeSweeps(sweepWeights(base, { sample: plan.sweepSample, seed }), base.symmetry);
    Object.assign(features, {
      sweep_mean_drop: s.meanDrop, sweep_visible: s.visible, sweep_locality: s.locality,
      sweep_change_symmetry: s.changeSymmetry, sweep_symmetry_loss: s.meanSymmetryLoss,
    });
  }

  const ablation: AblationPoint[] = [];
  const circuits: FoundCircuit[] = [];
  if (plan.ablation) {
    stage('unit ablation');
    parts.push('ablation');
    const ab = ablateUnits(base);
    // ablateUnits' `hidden` k is the output of weight layer k − 1, removed through weight layer k's rows
    for (const r of ab) ablation.push({ layer: r.hidden - 1, unit: r.unit, drop: r.drop });
    const drops = ab.map((r) => r.drop);
    Object.assign(features, ablationFeatures(drops, 1, 0, plan.matters), { ablation_units: ab.length, ablation_silent: ab.filter((r) => r.changeSymmetry === null).length / Math.max(1, ab.length) });
    if (plan.circuit && ab.length > 0) {
      stage('unit circuit');
      parts.push('circuit');
      const units = ab.map((r) => ({ layer: r.hidden, unit: r.unit }));
      // The planes of the last set scored are kept: the next set differs from it in a unit or two
      // (one more removed, or a rejected one put back), so only the layers from the first of those
      // on are redrawn (a layer's planes depend only on the layers before it).
      let anchor: { removed: Uint8Array; planes: CppnPlanes } = { removed: new Uint8Array(units.length), planes: base.planes };
      const score = (removed: Uint8Array): number => {
        let from = cppn.layers.length;
        for (let i = 0; i < units.length; i++) if (removed[i] !== anchor.removed[i]) from = Math.min(from, units[i].layer);
        if (from >= cppn.layers.length) return measureChange(base, pictureOf(anchor.planes)).ssim;
        const planes = cppnPlanes(withoutUnits(cppn, units, removed).cppn, plan.size, anchor.planes, from);
        anchor = { removed: removed.slice(), planes };
        return measureChange(base, pictureOf(planes)).ssim;
      };
      const circuit = greedyCircuit({ size: units.length, score }, ascendingOrder(drops), { full: 1, chance: 0 }, plan);
      circuits.push({ ...circuit, over: 'units', units: Array.from(circuit.members, (m) => ({ layer: units[m].layer - 1, unit: units[m].unit })) });
      Object.assign(features, {
        circuit_units: circuit.size, circuit_fraction: circuit.size / units.length, circuit_kept: circuit.kept, circuit_removed: circuit.removed,
        circuit_sufficient: circuit.sufficient ? 1 : 0, circuit_necessary: circuit.necessary ? 1 : 0,
      });
    }
  }

  stage('graph statistics');
  parts.push('graph');
  Object.assign(features, graphFeatures(cppn.layers, graphOptions(plan, seed, missing)));
  const row: FingerprintRow = {
    model: cppn.name ?? 'cppn', group: options.identity?.group ?? '', path: options.identity?.path ?? '', format: options.identity?.format ?? 'npz',
    kind: 'cppn', metric: 'ssim', task: `draw ${plan.size}²`, n_test: plan.size * plan.size, chance: 0, seed, parts: parts.join(';'), missing: missing.join('; '),
    ...orderedFeatures(features),
  };
  return { row, curves, ablation, circuits, evidence: null, layers: cppn.layers.map((l) => l.name) };
}
