/**
 * Galleries of perturbed drawings for a report: each perturbation of a CPPN drawn, encoded as PNG
 * (pngjs), with its SSIM to the unperturbed picture. Plain data; `galleryHtml` lays them out as a
 * self-contained HTML fragment (images as data URLs).
 */
import { Rng, deriveSeed } from '../core/rng.js';
import { encodePng } from '../data/png.js';
import { cppnPlanes, pictureOf, type Cppn } from '../model/cppn.js';
import { measureChange, pictureBaseline, redraw, type PictureBaseline, type WeightRef } from '../probes/cppn-fingerprint.js';
import { applyProbe, type ProbeSpec } from '../probes/probes.js';
import { escapeHtml } from './html.js';

export interface GalleryItem {
  network: string;
  label: string;
  /** SSIM of this drawing to the unperturbed one (1 for the unperturbed drawing itself). */
  ssim: number;
  width: number;
  height: number;
  /** 8-bit RGB PNG bytes. */
  png: Uint8Array;
}

/** A named way of perturbing a CPPN (a pure function; the input is never changed). */
export interface Perturbation {
  label: string;
  apply(cppn: Cppn): Cppn;
}

/** A probe of src/probes as a perturbation, drawing from `new Rng(deriveSeed(seed, 'gallery', label))`. */
export function probePerturbation(label: string, spec: Omit<ProbeSpec, 'signed' | 'layer'> & Partial<ProbeSpec>, seed = 1): Perturbation {
  const full: ProbeSpec = { signed: false, layer: 'all', ...spec };
  return { label, apply: (cppn) => applyProbe(cppn, full, new Rng(deriveSeed(seed, 'gallery', label))) as Cppn };
}

/** One weight set to its value + delta. */
export function weightPerturbation(ref: WeightRef, delta: number): Perturbation {
  return {
    label: `layer ${ref.layer} w[${ref.from}→${ref.to}] ${delta >= 0 ? '+' : ''}${delta}`,
    apply: (cppn) => {
      const layers = cppn.layers.slice();
      const l = layers[ref.layer];
      const weights = l.weights.slice();
      weights[ref.from * l.shape[1] + ref.to] += delta;
      layers[ref.layer] = { ...l, weights };
      return { ...cppn, layers };
    },
  };
}

/** A hidden unit removed (its outgoing weights zeroed); `hidden` counts hidden layers from 1. */
export function unitAblation(hidden: number, unit: number): Perturbation {
  return {
    label: `remove unit ${unit} of hidden layer ${hidden}`,
    apply: (cppn) => {
      const layers = cppn.layers.slice();
      const l = layers[hidden];
      const weights = l.weights.slice();
      weights.fill(0, unit * l.shape[1], (unit + 1) * l.shape[1]);
      layers[hidden] = { ...l, weights };
      return { ...cppn, layers };
    },
  };
}

/** A small standard set: one level of each of the five probes. */
export function standardPerturbations(seed = 1): Perturbation[] {
  return [
    probePerturbation('prune 50 %', { probe: 'prune', variant: 'reference', level: 0.5 }),
    probePerturbation('binarize', { probe: 'binarize', variant: 'reference', level: 0 }),
    probePerturbation('noise a = 0.1', { probe: 'noise', variant: 'reference', level: 0.1 }, seed),
    probePerturbation('sign flip 10 %', { probe: 'signflip', variant: 'reference', level: 0.1 }),
    probePerturbation('randomize A', { probe: 'randomize', variant: 'A', level: 0 }, seed),
  ];
}

function item(base: PictureBaseline, label: string, picture: ReturnType<typeof pictureOf>, ssim: number): GalleryItem {
  return { network: base.network, label, ssim, width: picture.width, height: picture.height, png: encodePng(picture) };
}

/** The unperturbed drawing, then one drawing per perturbation, at `size` pixels a side (default 128). */
export function perturbationGallery(cppn: Cppn, perturbations: readonly Perturbation[], size = 128): GalleryItem[] {
  const base = pictureBaseline(cppn, { size });
  return [
    item(base, 'unperturbed', base.picture, 1),
    ...perturbations.map((p) => {
      const picture = redraw(base, p.apply(cppn));
      return item(base, p.label, picture, measureChange(base, picture).ssim);
    }),
  ];
}

/** The paper's strip: one weight at value + each delta (0 included: the unperturbed picture). */
export function sweepStrip(cppn: Cppn, ref: WeightRef, deltas: readonly number[] = [-1, -0.5, 0, 0.5, 1], size = 128): GalleryItem[] {
  const base = pictureBaseline(cppn, { size });
  return deltas.map((d) => {
    const p = weightPerturbation(ref, d);
    const picture = pictureOf(cppnPlanes(p.apply(cppn), size, base.planes, ref.layer));
    return item(base, p.label, picture, measureChange(base, picture).ssim);
  });
}

/** A self-contained HTML fragment: one row per network, each drawing with its label and SSIM. */
export function galleryHtml(items: readonly GalleryItem[], title = 'Perturbed drawings'): string {
  const rows = new Map<string, GalleryItem[]>();
  for (const it of items) (rows.get(it.network) ?? rows.set(it.network, []).get(it.network)!).push(it);
  const figure = (it: GalleryItem) =>
    `<figure style="display:inline-block;margin:4px;text-align:center;font:12px sans-serif">` +
    `<img alt="${escapeHtml(`${it.network}: ${it.label}`)}" width="${it.width}" height="${it.height}" src="data:image/png;base64,${Buffer.from(it.png).toString('base64')}">` +
    `<figcaption>${escapeHtml(it.label)}<br>SSIM ${it.ssim.toFixed(3)}</figcaption></figure>`;
  const body = [...rows.entries()].map(([network, its]) => `<div><h4>${escapeHtml(network)}</h4>${its.map(figure).join('')}</div>`).join('\n');
  return `<section class="fer-gallery"><h3>${escapeHtml(title)}</h3>\n${body}\n</section>`;
}
