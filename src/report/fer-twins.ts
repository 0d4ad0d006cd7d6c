/**
 * The FER twins (data/fer): an evolved network and a gradient-descent network that draw the same
 * picture, fingerprinted side by side with the sparsity controls. `ferTwins` computes everything
 * as plain data; `formatFerTwins` prints the headline; `fer-demo.ts` runs it from the command line.
 * Numbers and their meaning: docs/fer.md.
 */
import { join } from 'node:path';
import { mirrorSsim, pictureMse, pictureSsim } from '../data/picture.js';
import { readPng } from '../data/png.js';
import { packageRoot } from '../data/ssim.js';
import { cppnDensity, drawCppn, type Cppn } from '../model/cppn.js';
import { openCppn } from '../model/cppn-file.js';
import {
  ablateUnits, pictureBaseline, probeCurves, pruneToDensity, sparsestPruneKeeping, summarizeAblation, summarizeCurves, summarizeSweeps, sweepWeights,
  type AblationRow, type AblationSummary, type CppnProbePlan, type CppnProbeRow, type CurveSummary, type SweepSummary, type WeightSweepRow,
} from '../probes/cppn-fingerprint.js';

/** The pictures shipped in data/fer. */
export const FER_PICTURES = ['skull', 'butterfly'] as const;

export interface FerTwinsOptions {
  /** Folder with `picbreeder_<picture>.npz`, `sgd_<picture>.npz` and their sidecars (default: the package's data/fer). */
  dataDir?: string;
  picture?: string;
  /** Pixels a side of the fingerprint drawings (default 128). */
  size?: number;
  /** Weights swept per network, sampled from its non-zero weights (default 64). */
  sweepSample?: number;
  /** Probe levels (default CPPN_PROBE_DEFAULTS). */
  plan?: Partial<CppnProbePlan>;
  /** SSIM the sparsest-prune control must keep (default 0.9). */
  keepSsim?: number;
  seed?: number;
  /** Called before each stage, for progress lines. */
  onStage?: (stage: string) => void;
}

/** One network of the comparison at its native size. */
export interface FerNetworkRow {
  network: string;
  role: 'evolved' | 'sgd' | 'control-matched' | 'control-sparsest';
  density: number;
  /** Against the authors' PNG (null for the controls, which have none). */
  mseToPng: number | null;
  ssimToPng: number | null;
  /** SSIM of its drawing with the SGD network's drawing. */
  ssimToSgd: number;
  /** Left–right symmetry of its drawing (SSIM with the mirror image). */
  symmetry: number;
}

export interface FerTwinsResult {
  picture: string;
  /** Native drawing size (the PNGs'). */
  imageSize: number;
  fingerprintSize: number;
  /** SSIM of the evolved and SGD drawings at the native size and at the fingerprint size. */
  twinSsim: number;
  twinSsimAtFingerprintSize: number;
  networks: FerNetworkRow[];
  probes: CppnProbeRow[];
  curves: CurveSummary[];
  sweeps: WeightSweepRow[];
  sweepSummaries: SweepSummary[];
  ablation: AblationRow[];
  ablationSummaries: AblationSummary[];
}

export function ferDataDir(): string {
  return join(packageRoot(), 'data', 'fer');
}

/** Open `picbreeder_<picture>` and `sgd_<picture>` from a folder. */
export function openFerPair(picture: string, dataDir = ferDataDir()): { evolved: Cppn; sgd: Cppn } {
  return { evolved: openCppn(join(dataDir, `picbreeder_${picture}.npz`)), sgd: openCppn(join(dataDir, `sgd_${picture}.npz`)) };
}

/**
 * Fingerprint the evolved and SGD networks of one picture and two controls: the SGD network
 * magnitude-pruned (globally) to the evolved network's density, and the sparsest global pruning
 * of it that still draws its picture with SSIM ≥ keepSsim.
 */
export function ferTwins(options: FerTwinsOptions = {}): FerTwinsResult {
  const picture = options.picture ?? 'skull';
  const dataDir = options.dataDir ?? ferDataDir();
  const size = options.size ?? 128;
  const stage = options.onStage ?? (() => {});
  const { evolved, sgd } = openFerPair(picture, dataDir);
  const imageSize = evolved.spec.imageSize;

  stage('drawing at the native size');
  const sgdPicture = drawCppn(sgd, imageSize);
  const evolvedPicture = drawCppn(evolved, imageSize);
  const sgdBase = pictureBaseline(sgd, { size });
  const matched = pruneToDensity(sgd, cppnDensity(evolved), 'global');
  stage('finding the sparsest pruning of the SGD network that keeps its picture');
  const sparsest = sparsestPruneKeeping(sgdBase, options.keepSsim ?? 0.9).control;
  const roles: [Cppn, FerNetworkRow['role']][] = [
    [evolved, 'evolved'],
    [sgd, 'sgd'],
    [{ ...matched, name: `${sgd.name}-pruned-to-evolved` }, 'control-matched'],
    [{ ...sparsest, name: `${sgd.name}-sparsest` }, 'control-sparsest'],
  ];
  const networks = roles.map(([cppn, role]): FerNetworkRow => {
    const drawn = role === 'sgd' ? sgdPicture : role === 'evolved' ? evolvedPicture : drawCppn(cppn, imageSize);
    const png = role === 'evolved' || role === 'sgd' ? readPng(join(dataDir, `${cppn.name}.png`)) : null;
    return {
      network: cppn.name ?? role,
      role,
      density: cppnDensity(cppn),
      mseToPng: png ? pictureMse(drawn, png) : null,
      ssimToPng: png ? pictureSsim(drawn, png) : null,
      ssimToSgd: pictureSsim(drawn, sgdPicture),
      symmetry: mirrorSsim(drawn),
    };
  });

  const result: FerTwinsResult = {
    picture, imageSize, fingerprintSize: size,
    twinSsim: pictureSsim(evolvedPicture, sgdPicture),
    twinSsimAtFingerprintSize: 0,
    networks, probes: [], curves: [], sweeps: [], sweepSummaries: [], ablation: [], ablationSummaries: [],
  };
  for (const [cppn] of roles) {
    const base = cppn === sgd ? sgdBase : pictureBaseline(cppn, { size });
    stage(`${base.network}: probes`);
    result.probes.push(...probeCurves(base, options.plan, options.seed ?? 1));
    stage(`${base.network}: single-weight sweeps`);
    const sweeps = sweepWeights(base, { sample: options.sweepSample ?? 64, seed: options.seed ?? 1 });
    result.sweeps.push(...sweeps);
    if (sweeps.length > 0) result.sweepSummaries.push(summarizeSweeps(sweeps, base.symmetry));
    stage(`${base.network}: unit ablation`);
    const ablation = ablateUnits(base);
    result.ablation.push(...ablation);
    result.ablationSummaries.push(summarizeAblation(ablation));
  }
  result.twinSsimAtFingerprintSize = pictureSsim(pictureBaseline(evolved, { size }).picture, sgdBase.picture);
  result.curves = summarizeCurves(result.probes);
  return result;
}

const f3 = (x: number | null) => (x === null ? '—' : x.toFixed(3));

/** The headline as text: the twins' similarity, then one table per fingerprint part. */
export function formatFerTwins(r: FerTwinsResult): string {
  const lines: string[] = [];
  const W = Math.max(16, ...r.networks.map((n) => n.network.length));
  const pad = (cells: string[], widths: number[]) => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join('  ');
  lines.push(`FER twins: ${r.picture} (drawn at ${r.imageSize}², fingerprints at ${r.fingerprintSize}²)`);
  lines.push(`SSIM(evolved, sgd) = ${r.twinSsim.toFixed(4)} at ${r.imageSize}², ${r.twinSsimAtFingerprintSize.toFixed(4)} at ${r.fingerprintSize}²` +
    `  (same picture, SSIM ≥ 0.99: ${r.twinSsim >= 0.99 ? 'yes' : 'no'} at ${r.imageSize}²)`);
  lines.push('');
  const w1 = [W, 18, 9, 10, 10, 10, 9];
  lines.push(pad(['network', 'role', 'density', 'MSE png', 'SSIM png', 'SSIM sgd', 'mirror'], w1));
  for (const n of r.networks) {
    lines.push(pad([n.network, n.role, f3(n.density), n.mseToPng === null ? '—' : n.mseToPng.toExponential(2), f3(n.ssimToPng), f3(n.ssimToSgd), f3(n.symmetry)], w1));
  }
  lines.push('');
  lines.push('Probe curves (mean SSIM to the unperturbed picture over the levels; level where it falls to 0.5):');
  const probes = [...new Set(r.curves.map((c) => `${c.probe}/${c.variant}`))];
  const names = r.networks.map((n) => n.network);
  const w2 = [20, ...names.map((n) => Math.max(14, n.length))];
  lines.push(pad(['probe', ...names], w2));
  for (const p of probes) {
    const cells = names.map((n) => {
      const c = r.curves.find((x) => x.network === n && `${x.probe}/${x.variant}` === p);
      return c ? `${f3(c.auc)} / ${c.halfLevel === null ? '—' : c.halfLevel.toPrecision(2)}` : '';
    });
    lines.push(pad([p, ...cells], w2));
  }
  lines.push('');
  lines.push('Single-weight sweeps (non-zero weights sampled; each moved by ±0.5, ±1):');
  const w3 = [W, 8, 10, 10, 9, 10, 11, 10];
  lines.push(pad(['network', 'weights', 'mean drop', 'med drop', 'visible', 'locality', 'change sym', 'sym loss'], w3));
  for (const s of r.sweepSummaries) {
    lines.push(pad([s.network, String(s.weights), f3(s.meanDrop), f3(s.medianDrop), f3(s.visible), f3(s.locality), f3(s.changeSymmetry), f3(s.meanSymmetryLoss)], w3));
  }
  lines.push('');
  lines.push('Unit ablation (each hidden unit removed in turn):');
  const w4 = [W, 7, 8, 8, 10, 10];
  lines.push(pad(['network', 'units', 'matter', 'silent', 'mean drop', 'max drop'], w4));
  for (const a of r.ablationSummaries) lines.push(pad([a.network, String(a.units), String(a.matter), String(a.silent), f3(a.meanDrop), f3(a.maxDrop)], w4));
  return lines.join('\n');
}
