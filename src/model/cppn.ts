/**
 * Compositional pattern-producing networks (CPPNs) as the FER paper stores them (Kumar et al.,
 * arXiv 2505.11581; data/fer/README.md): a stack of bias-free dense layers whose hidden units are
 * split into groups with one activation each, evaluated at every pixel of a coordinate grid, the
 * three outputs read as a colour in HSV.
 *
 * Pure functions over typed arrays and the project's layer records (browser-safe, no Node
 * imports). A `Cppn` is a `DenseModel` with its description attached, so the probes of
 * `src/probes` (which spread the model they are given) keep the description on what they return.
 *
 * Drawing is done unit-major: every unit's activation over all pixels is one plane
 * (Float32Array of size²), and a layer adds `w · plane` for each non-zero weight. Zero weights
 * cost nothing, which makes the evolved networks (≈ 97 % zeros) cheap to draw, and the planes of a
 * drawing can be kept (`cppnPlanes`) so that a perturbation of layer k redraws from layer k only.
 */
import { UserError } from '../core/errors.js';
import type { DenseModel, LayerRecord } from '../core/layer.js';
import { validateLayer } from '../core/layer.js';
import type { RgbImage } from '../data/picture.js';

export type { RgbImage } from '../data/picture.js';

/** The authors' activations (`src/cppn.py`); `cache` is identity under another name. */
export const CPPN_ACTIVATIONS = ['cache', 'identity', 'sin', 'cos', 'tanh', 'sigmoid', 'gaussian', 'relu'] as const;
export type CppnActivation = (typeof CPPN_ACTIVATIONS)[number];

/** Per-pixel inputs the authors define: `y,x,d,b` is what every shipped network uses. */
export const CPPN_INPUTS = ['y', 'x', 'd', 'b', 'xabs', 'yabs'] as const;
export type CppnInput = (typeof CPPN_INPUTS)[number];

/** Bounds on what a description may declare (checked before anything is allocated). */
export const CPPN_LIMITS = { hiddenLayers: 1024, width: 1024, weights: 1 << 24, imageSize: 4096 } as const;

export interface CppnGroup {
  activation: CppnActivation;
  count: number;
}

/** `"12;cache:15,gaussian:4,identity:2,sin:1"`: 12 hidden layers of the same 22 units, in group order. */
export interface CppnArch {
  hiddenLayers: number;
  groups: CppnGroup[];
  /** Units per hidden layer (sum of the group counts). */
  width: number;
}

/** What a `*.cppn.json` sidecar says about its network. */
export interface CppnSpec {
  /** The arch string as written (the authors' notation). */
  archString: string;
  arch: CppnArch;
  inputs: CppnInput[];
  /** The size (pixels per side) the authors drew at. */
  imageSize: number;
}

/** A CPPN: its layers (`layer_00` inputs → hidden … last hidden → (h, s, v)), no biases. */
export interface Cppn extends DenseModel {
  spec: CppnSpec;
  /** A label for rows and messages, e.g. `picbreeder_skull`. */
  name?: string;
}

function isActivation(s: string): s is CppnActivation {
  return (CPPN_ACTIVATIONS as readonly string[]).includes(s);
}
function isInput(s: string): s is CppnInput {
  return (CPPN_INPUTS as readonly string[]).includes(s);
}

/** A plain decimal integer (no `0x10`, `1e3`, `''`, `+3`). */
function parseCount(text: string, what: string, max: number): number {
  const t = text.trim();
  if (!/^[0-9]+$/.test(t)) throw new UserError(`${what} must be a whole number, got '${text}'`);
  const n = Number(t);
  if (n < 1 || n > max) throw new UserError(`${what} must be between 1 and ${max}, got ${t}`);
  return n;
}

/** Parse the authors' arch notation; a one-line UserError names what is wrong. */
export function parseCppnArch(arch: string): CppnArch {
  if (typeof arch !== 'string') throw new UserError(`CPPN arch must be a string like "12;cache:15,gaussian:4,identity:2,sin:1"`);
  const parts = arch.split(';');
  if (parts.length !== 2) throw new UserError(`CPPN arch '${arch}' must be "<layers>;<activation>:<count>,…" (one ';')`);
  const hiddenLayers = parseCount(parts[0], `CPPN arch '${arch}': the number of hidden layers`, CPPN_LIMITS.hiddenLayers);
  const groups = parts[1].split(',').map((g): CppnGroup => {
    const kv = g.split(':');
    if (kv.length !== 2) throw new UserError(`CPPN arch '${arch}': group '${g}' must be <activation>:<count>`);
    const activation = kv[0].trim();
    if (!isActivation(activation)) {
      throw new UserError(`CPPN arch '${arch}': unknown activation '${activation}' (known: ${CPPN_ACTIVATIONS.join(', ')})`);
    }
    return { activation, count: parseCount(kv[1], `CPPN arch '${arch}': the count of '${activation}'`, CPPN_LIMITS.width) };
  });
  const width = groups.reduce((s, g) => s + g.count, 0);
  if (width > CPPN_LIMITS.width) throw new UserError(`CPPN arch '${arch}': ${width} units per layer (at most ${CPPN_LIMITS.width})`);
  return { hiddenLayers, groups, width };
}

/** The arch back in the authors' notation. */
export function formatCppnArch(arch: CppnArch): string {
  return `${arch.hiddenLayers};${arch.groups.map((g) => `${g.activation}:${g.count}`).join(',')}`;
}

/**
 * Parse a `*.cppn.json` description: `{ "kind": "cppn", "arch": "…", "inputs": "y,x,d,b", "image_size": 256 }`
 * (`kind` optional, other keys refused so that a typo is not silently ignored).
 */
export function parseCppnDescription(json: unknown): CppnSpec {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UserError('a CPPN description must be a JSON object with arch, inputs and image_size');
  }
  const o = json as Record<string, unknown>;
  const known = ['kind', 'arch', 'inputs', 'image_size'];
  const extra = Object.keys(o).filter((k) => !known.includes(k));
  if (extra.length > 0) throw new UserError(`CPPN description has unknown key '${extra[0]}' (keys: ${known.join(', ')})`);
  if (o.kind !== undefined && o.kind !== 'cppn') throw new UserError(`CPPN description has kind '${String(o.kind)}', expected 'cppn'`);
  if (typeof o.arch !== 'string') throw new UserError('CPPN description needs "arch": a string like "12;cache:15,gaussian:4,identity:2,sin:1"');
  const arch = parseCppnArch(o.arch);
  if (typeof o.inputs !== 'string') throw new UserError('CPPN description needs "inputs": a string like "y,x,d,b"');
  const names = o.inputs.split(',').map((s) => s.trim());
  const inputs = names.map((s) => {
    if (!isInput(s)) throw new UserError(`CPPN description: unknown input '${s}' (known: ${CPPN_INPUTS.join(', ')})`);
    return s;
  });
  if (new Set(inputs).size !== inputs.length) throw new UserError(`CPPN description: inputs '${o.inputs}' name one input twice`);
  const size = o.image_size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 2 || size > CPPN_LIMITS.imageSize) {
    throw new UserError(`CPPN description: image_size must be a whole number from 2 to ${CPPN_LIMITS.imageSize}, got ${JSON.stringify(size)}`);
  }
  const weights = inputs.length * arch.width + (arch.hiddenLayers - 1) * arch.width * arch.width + arch.width * 3;
  if (weights > CPPN_LIMITS.weights) throw new UserError(`CPPN arch '${o.arch}' declares ${weights} weights (at most ${CPPN_LIMITS.weights})`);
  return { archString: o.arch, arch, inputs, imageSize: size };
}

/** The [nIn, nOut] each layer of a network with this description must have (hidden layers, then the output). */
export function cppnLayerShapes(spec: CppnSpec): [number, number][] {
  const { hiddenLayers, width } = spec.arch;
  const shapes: [number, number][] = [[spec.inputs.length, width]];
  for (let k = 1; k < hiddenLayers; k++) shapes.push([width, width]);
  shapes.push([width, 3]);
  return shapes;
}

/**
 * Check layers against a description (count, every shape, no bias, finite weights) and return the
 * CPPN; a one-line UserError names the first layer that does not fit.
 */
export function makeCppn(spec: CppnSpec, layers: LayerRecord[], name?: string): Cppn {
  const shapes = cppnLayerShapes(spec);
  if (layers.length !== shapes.length) {
    throw new UserError(
      `arch '${spec.archString}' needs ${shapes.length} weight layers (${spec.arch.hiddenLayers} hidden + output), the weights have ${layers.length}`,
    );
  }
  layers.forEach((layer, k) => {
    const [r, c] = shapes[k];
    if (layer.shape[0] !== r || layer.shape[1] !== c) {
      const role = k === 0 ? `inputs (${spec.inputs.join(',')}) → hidden` : k === shapes.length - 1 ? 'hidden → outputs (h, s, v)' : 'hidden → hidden';
      throw new UserError(`layer '${layer.name}' is [${layer.shape.join(', ')}] but arch '${spec.archString}' needs [${r}, ${c}] (${role})`);
    }
    if (layer.bias) throw new UserError(`layer '${layer.name}' has a bias; a FER CPPN has none`);
    validateLayer(layer);
  });
  return name === undefined ? { spec, layers } : { spec, layers, name };
}

/** The unit index ranges of each activation group in a hidden layer (in arch order). */
export function cppnUnitActivations(arch: CppnArch): CppnActivation[] {
  const out: CppnActivation[] = [];
  for (const g of arch.groups) for (let k = 0; k < g.count; k++) out.push(g.activation);
  return out;
}

/**
 * numpy.linspace(−1, 1, n)[k], the coordinate of pixel k along either axis, written as
 * (2k − (n − 1)) / (n − 1): within an ulp of numpy's and exactly antisymmetric (pixel n − 1 − k
 * gets exactly −coordinate(k)), so a network symmetric in y draws a picture symmetric bit for bit.
 */
export function gridCoordinate(k: number, n: number): number {
  return (2 * k - (n - 1)) / (n - 1);
}

/**
 * The input planes of a size×size drawing, one Float32Array of size² per input, in the order the
 * description lists them. ij grid: pixel [i, j] has x = lin[i], y = lin[j] (x runs down the rows).
 */
export function cppnInputPlanes(inputs: readonly CppnInput[], size: number): Float32Array[] {
  checkSize(size);
  const P = size * size;
  return inputs.map((name) => {
    const plane = new Float32Array(P);
    for (let i = 0; i < size; i++) {
      const x = gridCoordinate(i, size);
      for (let j = 0; j < size; j++) {
        const y = gridCoordinate(j, size);
        let v: number;
        switch (name) {
          case 'x': v = x; break;
          case 'y': v = y; break;
          case 'd': v = Math.sqrt(x * x + y * y) * 1.4; break;
          case 'b': v = 1; break;
          case 'xabs': v = Math.abs(x); break;
          case 'yabs': v = Math.abs(y); break;
        }
        plane[i * size + j] = v;
      }
    }
    return plane;
  });
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 2 || size > CPPN_LIMITS.imageSize) {
    throw new UserError(`drawing size must be a whole number from 2 to ${CPPN_LIMITS.imageSize}, got ${size}`);
  }
}

/** Apply one activation to a plane in place. */
function activate(z: Float32Array, activation: CppnActivation): void {
  const n = z.length;
  switch (activation) {
    case 'cache':
    case 'identity':
      return;
    case 'sin':
      for (let p = 0; p < n; p++) z[p] = Math.sin(z[p]);
      return;
    case 'cos':
      for (let p = 0; p < n; p++) z[p] = Math.cos(z[p]);
      return;
    case 'tanh':
      for (let p = 0; p < n; p++) z[p] = Math.tanh(z[p]);
      return;
    case 'sigmoid':
      // 2·σ(z) − 1, the authors' sigmoid rescaled to (−1, 1)
      for (let p = 0; p < n; p++) z[p] = 2 / (1 + Math.exp(-z[p])) - 1;
      return;
    case 'gaussian':
      for (let p = 0; p < n; p++) z[p] = 2 * Math.exp(-z[p] * z[p]) - 1;
      return;
    case 'relu':
      for (let p = 0; p < n; p++) if (z[p] < 0) z[p] = 0;
      return;
  }
}

/** z_j = Σ_i w_ij · h_i over all pixels, for every output unit j (zero weights skipped). */
function denseLayer(layer: LayerRecord, inputs: readonly Float32Array[], P: number): Float32Array[] {
  const [nIn, nOut] = layer.shape;
  const w = layer.weights;
  const out: Float32Array[] = [];
  const ws = new Float64Array(nIn);
  const hs: Float32Array[] = [];
  for (let j = 0; j < nOut; j++) {
    const z = new Float32Array(P);
    // The non-zero weights into unit j, then four input planes a pass (one load/store of z per four terms).
    let n = 0;
    hs.length = 0;
    for (let i = 0; i < nIn; i++) {
      const wij = w[i * nOut + j];
      if (wij !== 0) {
        ws[n++] = wij;
        hs.push(inputs[i]);
      }
    }
    let k = 0;
    for (; k + 4 <= n; k += 4) {
      const w0 = ws[k], w1 = ws[k + 1], w2 = ws[k + 2], w3 = ws[k + 3];
      const h0 = hs[k], h1 = hs[k + 1], h2 = hs[k + 2], h3 = hs[k + 3];
      for (let p = 0; p < P; p++) z[p] += w0 * h0[p] + w1 * h1[p] + w2 * h2[p] + w3 * h3[p];
    }
    for (; k < n; k++) {
      const wk = ws[k], h = hs[k];
      for (let p = 0; p < P; p++) z[p] += wk * h[p];
    }
    out.push(z);
  }
  return out;
}

/**
 * Every unit's plane of a drawing: `planes[0]` the inputs, `planes[k]` the units after hidden
 * layer k (1…hiddenLayers), the last entry the three raw outputs (h, s, v) before colouring.
 */
export type CppnPlanes = Float32Array[][];

/**
 * The planes of `cppn` drawn at `size`, starting from layer `from` (0 = from the inputs): planes
 * of levels ≤ `from` are taken from `reuse` (the planes of a drawing whose layers before `from`
 * are the same), the rest recomputed. Planes are shared with `reuse`, never written.
 */
export function cppnPlanes(cppn: Cppn, size: number, reuse?: CppnPlanes, from = 0): CppnPlanes {
  checkSize(size);
  const P = size * size;
  const L = cppn.layers.length;
  if (!Number.isInteger(from) || from < 0 || from >= L) throw new RangeError(`cppnPlanes: from must be a layer index 0…${L - 1}, got ${from}`);
  if (from > 0 && (!reuse || reuse.length !== L + 1 || reuse[0][0].length !== P)) {
    throw new RangeError('cppnPlanes: reusing planes needs the planes of a drawing of the same network at the same size');
  }
  const planes: CppnPlanes = from > 0 ? reuse!.slice(0, from + 1) : [cppnInputPlanes(cppn.spec.inputs, size)];
  const units = cppnUnitActivations(cppn.spec.arch);
  for (let k = from; k < L; k++) {
    const z = denseLayer(cppn.layers[k], planes[k], P);
    if (k < L - 1) z.forEach((plane, u) => activate(plane, units[u]));
    planes.push(z);
  }
  return planes;
}

/** h ∈ ℝ (any), s, v ∈ [0, 1] → RGB, the authors' six-sector conversion (`src/color.py`), clipped to [0, 1]. */
export function hsvToRgb(h: number, s: number, v: number, out: Float32Array, at: number): void {
  const H = h * 360;
  const c = v * s;
  const x = c * (1 - Math.abs(pyMod(H / 60, 2) - 1));
  const m = v - c;
  let r = 0, g = 0, b = 0;
  // Half-open sectors as the authors write them; H = 360 (h rounded up to 1) falls in none and stays grey (m).
  if (H >= 0 && H < 60) { r = c; g = x; }
  else if (H >= 60 && H < 120) { r = x; g = c; }
  else if (H >= 120 && H < 180) { g = c; b = x; }
  else if (H >= 180 && H < 240) { g = x; b = c; }
  else if (H >= 240 && H < 300) { r = x; b = c; }
  else if (H >= 300 && H < 360) { r = c; b = x; }
  out[at] = clip01(r + m);
  out[at + 1] = clip01(g + m);
  out[at + 2] = clip01(b + m);
}

/** Python's `%` (result takes the divisor's sign): JavaScript's keeps the dividend's. */
function pyMod(a: number, n: number): number {
  return a - n * Math.floor(a / n);
}
function clip01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** The picture of the three output planes (h, s, v): colour = HSV→RGB of ((h + 1) mod 1, clip(s, 0, 1), clip(|v|, 0, 1)). */
export function colourOutputs(outputs: readonly Float32Array[], size: number): RgbImage {
  const [hp, sp, vp] = outputs;
  const P = size * size;
  const data = new Float32Array(P * 3);
  for (let p = 0; p < P; p++) {
    hsvToRgb(pyMod(hp[p] + 1, 1), clip01(sp[p]), clip01(Math.abs(vp[p])), data, 3 * p);
  }
  return { width: size, height: size, data };
}

/** Draw a CPPN at `size` pixels a side (default: the size its description names). */
export function drawCppn(cppn: Cppn, size = cppn.spec.imageSize): RgbImage {
  const planes = cppnPlanes(cppn, size);
  return colourOutputs(planes[planes.length - 1], size);
}

/** The picture of planes computed by cppnPlanes. */
export function pictureOf(planes: CppnPlanes): RgbImage {
  const size = Math.round(Math.sqrt(planes[0][0].length));
  return colourOutputs(planes[planes.length - 1], size);
}

/** Fraction of weights that are non-zero (all layers together). */
export function cppnDensity(model: DenseModel): number {
  let nz = 0, n = 0;
  for (const l of model.layers) {
    n += l.weights.length;
    for (let i = 0; i < l.weights.length; i++) if (l.weights[i] !== 0) nz++;
  }
  return n === 0 ? 0 : nz / n;
}
