/**
 * The viewer page: pick a model, a layer and a randomization; draw the layer as a signed
 * bipartite network (sigma, via ./graph-view.ts); threshold it on |w| with the largest component
 * from the library's percolation curve; hover/search units; charts beside; export PNG/SVG.
 * `window.__weightscope` exposes the state to tests.
 */
import './style.css';
import * as FA2Module from 'graphology-layout-forceatlas2/worker.js';
import { inferSettings } from 'graphology-layout-forceatlas2';
import type { LayerRecord } from '../../src/core/layer.js';
import { csvToRows, type ResultRow } from '../../src/core/results.js';
import { Rng } from '../../src/core/rng.js';
import { percolation, unitStats, type PercolationCurve, type UnitStats } from '../../src/stats/index.js';
import { GraphView } from './graph-view.js';
import {
  bipartitePositions, buildDisplayGraph, countAtLeast, COLORS, edgeStyle, edgeFlatIndex,
  type DisplayGraph, type LayoutKind, type Positions,
} from './layer-graph.js';
import { fetchIndex, fetchText, loadModel, type RunIndex, type IndexedModel, type ViewModel } from './model-loader.js';
import { DEFAULT_METHOD, METHODS, lastRun, randomizeAsync } from './randomize-adapter.js';
import { drawDegreeChart, drawPercolationChart, drawProbeCharts } from './charts-panel.js';
import { exportPng, exportSvg, downloadBlob, compositeCanvas } from './export.js';

type Mode = 'original' | 'randomized' | 'side';

// A CommonJS module: its class is `default` for TypeScript, the module itself for some bundlers.
interface FA2Layout {
  start(): void;
  kill(): void;
}
type FA2Ctor = new (graph: unknown, params: { settings: Record<string, unknown>; getEdgeWeight: string }) => FA2Layout;
function unwrapDefault(m: unknown): FA2Ctor {
  let x = m as { default?: unknown };
  while (typeof x !== 'function' && x && x.default) x = x.default as { default?: unknown };
  return x as unknown as FA2Ctor;
}
const FA2Layout = unwrapDefault(FA2Module);

/** Edges drawn at most per view; more are summarised by count (the strongest |w| are kept). */
const DEFAULT_EDGE_CAP = 100_000;
const SLIDER_STEPS = 1000;
/** ForceAtlas2 runs this long, then its positions are kept for the layer. */
const FA2_SECONDS = 8;

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
};

const ui = {
  runName: $('run-name'),
  model: $<HTMLSelectElement>('model-select'),
  layer: $<HTMLSelectElement>('layer-select'),
  method: $<HTMLSelectElement>('method-select'),
  seed: $<HTMLInputElement>('seed-input'),
  mode: $<HTMLSelectElement>('mode-select'),
  layout: $<HTMLSelectElement>('layout-select'),
  search: $<HTMLInputElement>('search-input'),
  unitList: $<HTMLDataListElement>('unit-list'),
  slider: $<HTMLInputElement>('threshold-slider'),
  thresholdValue: $('threshold-value'),
  thresholdShare: $('threshold-share'),
  edgeCount: $('edge-count'),
  componentSize: $('component-size'),
  capNote: $('cap-note'),
  graphs: $('graphs'),
  boxB: $('box-b'),
  titleA: $('title-a'),
  titleB: $('title-b'),
  tooltip: $('tooltip'),
  status: $('status'),
  probeCharts: $('chart-probes'),
  degreeChart: $('chart-degrees'),
  percolationChart: $('chart-percolation'),
  exportPng: $<HTMLButtonElement>('export-png'),
  exportSvg: $<HTMLButtonElement>('export-svg'),
};

interface Pane {
  view: GraphView;
  layer: LayerRecord | null;
  display: DisplayGraph | null;
  curve: PercolationCurve | null;
  stats: UnitStats | null;
  /** Edges of `display.order` currently visible: a prefix of the |w| order. */
  visible: number;
  /** Non-zero weights of the layer with |w| ≥ threshold (may exceed what is drawn). */
  kept: number;
  title: string;
}

const params = new URLSearchParams(location.search);
const edgeCap = Math.max(1, Number(params.get('cap')) || DEFAULT_EDGE_CAP);

const state = {
  index: null as RunIndex | null,
  model: null as ViewModel | null,
  modelInfo: null as IndexedModel | null,
  layer: null as LayerRecord | null,
  randomized: null as LayerRecord | null,
  positions: new Map<string, Positions>(),
  threshold: 0,
  maxAbs: 1,
  hovered: null as string | null,
  rows: null as ResultRow[] | null,
  ready: false,
  busy: 0,
  error: null as string | null,
  fa2: null as FA2Layout | null,
  /** Layers whose ForceAtlas2 layout has finished (their positions are reused). */
  laidOut: new Set<string>(),
  /** Time the last threshold change took in the page (ms, excluding sigma's next frame). */
  thresholdMs: 0,
};

const paneA: Pane = { view: new GraphView($('graph-a')), layer: null, display: null, curve: null, stats: null, visible: 0, kept: 0, title: '' };
const paneB: Pane = { view: new GraphView($('graph-b')), layer: null, display: null, curve: null, stats: null, visible: 0, kept: 0, title: '' };

const mode = (): Mode => ui.mode.value as Mode;
const layoutKind = (): LayoutKind => ui.layout.value as LayoutKind;
const activePanes = (): Pane[] => (mode() === 'side' ? [paneA, paneB] : [paneA]);

// ---------------------------------------------------------------------------------------------
// loading

async function init(): Promise<void> {
  setStatus('Loading run index…');
  const index = await fetchIndex();
  state.index = index;
  ui.runName.textContent = index.name;
  document.title = `weightscope · ${index.name}`;
  for (const [k, m] of index.models.entries()) {
    ui.model.append(new Option(modelName(m), String(k)));
  }
  for (const m of METHODS) {
    const o = new Option(m.label, m.name);
    o.title = `preserves ${m.preserves}`;
    ui.method.append(o);
  }
  ui.method.value = DEFAULT_METHOD;
  applyParams();
  if (index.files.includes('results.csv')) {
    const text = await fetchText('results.csv');
    try {
      state.rows = text ? csvToRows(text) : null;
    } catch (err) {
      state.rows = null; // a results.csv that does not parse shows no results rather than wrong ones
      console.warn(`results.csv: ${(err as Error).message}`);
    }
  }
  await selectModel();
  wireEvents();
  state.ready = true;
}

/** What the page calls a model: its label (a layer of the user's file), or `<task> · run <k>`. */
function modelName(m: IndexedModel): string {
  return m.label ?? (m.run === null ? m.task : `${m.task} · run ${m.run}`);
}

/** ?model=<k>&layer=<name>&method=<m>&seed=<s>&mode=<mode>&layout=<l> preselects the controls. */
function applyParams(): void {
  const set = (el: HTMLSelectElement | HTMLInputElement, key: string): void => {
    const v = params.get(key);
    if (v !== null) el.value = v;
  };
  set(ui.model, 'model');
  set(ui.method, 'method');
  set(ui.seed, 'seed');
  set(ui.mode, 'mode');
  set(ui.layout, 'layout');
}

async function selectModel(): Promise<void> {
  const info = state.index!.models[Number(ui.model.value) || 0];
  state.modelInfo = info;
  await busy(`Loading ${info.path}…`, async () => {
    state.model = await loadModel(info.path);
  });
  const wanted = ui.layer.value || params.get('layer');
  ui.layer.replaceChildren(...state.model!.layers.map((l) => new Option(`${l.name}  ${l.shape[0]}×${l.shape[1]}`, l.name)));
  if (wanted && state.model!.layers.some((l) => l.name === wanted)) ui.layer.value = wanted;
  drawProbeCharts(ui.probeCharts, state.rows, info.task);
  await selectLayer();
}

async function selectLayer(): Promise<void> {
  stopLayout();
  state.layer = state.model!.layers.find((l) => l.name === ui.layer.value) ?? state.model!.layers[0];
  const [nIn, nOut] = state.layer.shape;
  const units: HTMLOptionElement[] = [];
  for (let i = 0; i < Math.min(nIn, 2000); i++) units.push(new Option('', `in:${i}`));
  for (let j = 0; j < Math.min(nOut, 2000); j++) units.push(new Option('', `out:${j}`));
  ui.unitList.replaceChildren(...units);
  state.randomized = null;
  await rebuild();
}

/** The randomized layer for the chosen method and seed (computed once per choice, in a web worker). */
async function randomizedLayer(): Promise<LayerRecord> {
  const seed = Math.max(0, Math.floor(Number(ui.seed.value) || 0));
  const layer = state.layer!;
  // the layer is part of the key: the user may switch layers while a worker is still busy
  const key = `${state.modelInfo!.path}|${layer.name}|${ui.method.value}|${seed}`;
  const cached = state.randomized as (LayerRecord & { __key?: string }) | null;
  if (cached && cached.__key === key) return cached;
  const r = (await randomizeAsync(layer, ui.method.value, seed)) as LayerRecord & { __key?: string };
  r.__key = key;
  state.randomized = r;
  return r;
}

function layoutKey(): string {
  return `${state.modelInfo!.path}|${state.layer!.name}|${layoutKind()}`;
}

function positionsFor(layer: LayerRecord): Positions {
  const key = `${state.modelInfo!.path}|${layer.name}|${layoutKind()}`;
  let p = state.positions.get(key);
  if (!p) {
    p = layoutKind() === 'fa2' ? randomPositions(layer.shape[0] + layer.shape[1]) : bipartitePositions(layer.shape[0], layer.shape[1]);
    state.positions.set(key, p);
  }
  return p;
}

/** ForceAtlas2 starts from a seeded scatter: from the bipartite layout it untangles slowly. */
function randomPositions(n: number): Positions {
  const rng = new Rng(1);
  const p = new Float32Array(2 * n);
  for (let k = 0; k < 2 * n; k++) p[k] = rng.uniform(-100, 100);
  return p;
}

/** Rebuild the shown graphs after a change of layer, randomization, mode or layout. */
async function rebuild(): Promise<void> {
  const layer = state.layer!;
  const m = mode();
  state.hovered = null;
  ui.tooltip.hidden = true;
  const needRandom = m !== 'original';
  let randomized: LayerRecord | null = null;
  if (needRandom) {
    await busy(`Randomizing ${layer.name} (${ui.method.value}, seed ${ui.seed.value})…`, async () => {
      randomized = await randomizedLayer();
    });
  }
  const positions = positionsFor(layer);
  const assign = (pane: Pane, l: LayerRecord, title: string): void => {
    pane.layer = l;
    pane.title = title;
    pane.display = buildDisplayGraph(l, positions, edgeCap, l === layer ? state.model?.highlight.get(l.name) : null);
    pane.curve = percolation(l, 'all', { points: 101, full: true });
    pane.stats = unitStats(l);
    pane.visible = pane.display.order.length;
    pane.kept = pane.display.nonZero;
    pane.view.show(pane.display.graph);
  };
  const randTitle = `randomized · ${ui.method.selectedOptions[0]?.textContent ?? ui.method.value} · seed ${ui.seed.value}`;
  await busy('Building graph…', async () => {
    if (m === 'original') assign(paneA, layer, 'original');
    else if (m === 'randomized') assign(paneA, randomized!, randTitle);
    else {
      assign(paneA, layer, 'original');
      assign(paneB, randomized!, randTitle);
    }
  });
  if (m !== 'side') {
    paneB.view.kill();
    paneB.layer = paneB.display = null;
  }
  ui.graphs.classList.toggle('side', m === 'side');
  ui.graphs.classList.toggle('stacked', layoutKind() === 'bipartite');
  ui.boxB.hidden = m !== 'side';
  ui.titleA.textContent = `${paneA.title} · ${layer.name} ${layer.shape[0]}×${layer.shape[1]}`;
  ui.titleB.textContent = m === 'side' ? `${paneB.title} · ${layer.name}` : '';
  paneA.view.resize();
  if (m === 'side') paneB.view.resize();
  state.maxAbs = Math.max(...activePanes().map((p) => p.display!.maxAbs)) || 1;
  applyThreshold(sliderToThreshold(Number(ui.slider.value)));
  drawDegreeChart(ui.degreeChart, layer, randomized, 'out');
  if (layoutKind() === 'fa2' && !state.laidOut.has(layoutKey())) runForceAtlas2();
  setStatus('');
}

// ---------------------------------------------------------------------------------------------
// threshold and percolation

/**
 * The slider is a quantile scale: position p hides the p/SLIDER_STEPS weakest edges of the (first)
 * layer, so every step removes as many edges, wherever |w| sits. On a linear |w| scale most of the
 * slider's travel was spent on the few strongest edges (at 60 % of it only 9 of 2,048 remained).
 * The threshold is the |w| of the last edge kept, read from the percolation curve's order.
 */
function sliderToThreshold(pos: number): number {
  const curve = paneA.curve;
  if (pos <= 0 || !curve?.full || curve.edges === 0) return 0;
  const keep = Math.max(1, Math.round(curve.edges * (1 - Math.min(1, pos / SLIDER_STEPS))));
  return curve.full.threshold[keep];
}

/** Show edges with |w| ≥ t: only the edges between the old and new prefix are repainted. */
function applyThreshold(t: number): void {
  const started = performance.now();
  state.threshold = t;
  for (const pane of activePanes()) {
    const d = pane.display!;
    const target = t <= 0 ? d.order.length : countAtLeast(d.absSorted, t);
    if (target < pane.visible) pane.view.setEdgesHidden(d.order.slice(target, pane.visible), true);
    else if (target > pane.visible) pane.view.setEdgesHidden(d.order.slice(pane.visible, target), false);
    pane.visible = target;
    pane.kept = t <= 0 ? d.nonZero : countAtLeast(pane.curve!.full!.threshold.subarray(1), t);
  }
  updateThresholdReadout();
  state.thresholdMs = performance.now() - started;
}

/** Largest component with the pane's kept edges, from the library's exact percolation curve. */
function largestComponent(pane: Pane): number {
  return pane.curve!.full!.giant[pane.kept];
}

function updateThresholdReadout(): void {
  const panes = activePanes();
  ui.thresholdValue.textContent = state.threshold.toPrecision(3);
  const share = paneA.curve!.edges ? paneA.kept / paneA.curve!.edges : 1;
  ui.thresholdShare.textContent = `strongest ${(100 * share).toFixed(share < 0.1 ? 1 : 0)} %`;
  ui.edgeCount.textContent = panes.map((p) => p.kept.toLocaleString('en')).join(' | ');
  ui.componentSize.textContent = panes
    .map((p) => `${largestComponent(p).toLocaleString('en')} / ${(p.layer!.shape[0] + p.layer!.shape[1]).toLocaleString('en')}`)
    .join(' | ');
  const capped = panes.filter((p) => p.kept > p.visible);
  ui.capNote.textContent = capped.length
    ? `drawing the ${panes[0].visible.toLocaleString('en')} strongest of ${panes[0].kept.toLocaleString('en')} edges (cap ${edgeCap.toLocaleString('en')})`
    : '';
  const fraction = paneA.curve!.edges ? 1 - paneA.kept / paneA.curve!.edges : 0;
  drawPercolationChart(
    ui.percolationChart,
    panes.map((p, k) => ({ label: k === 0 ? paneA.title : 'randomized', curve: p.curve!, color: k === 0 ? '#0f172a' : '#d97706' })),
    fraction,
  );
}

// ---------------------------------------------------------------------------------------------
// hover, search

function unitInfo(pane: Pane, node: string): string {
  const [side, idx] = node.split(':');
  const s = pane.stats![side === 'in' ? 'in' : 'out'];
  const i = Number(idx);
  const fmt = (x: number): string => x.toPrecision(3);
  return `<b>${node}</b> <span class="muted">${pane.title}</span><br>k+ ${s.kPlus[i]} · k− ${s.kMinus[i]}<br>s+ ${fmt(s.sPlus[i])} · s− ${fmt(s.sMinus[i])}`;
}

/**
 * Edges not touching the hovered unit: fully transparent, which sigma's premultiplied blending
 * turns into "not drawn" (any visible tint would be painted over the highlighted edges).
 */
const DIMMED = 'rgba(0,0,0,0)';

function hover(node: string | null): void {
  const prev = state.hovered;
  if (prev === node) return;
  for (const pane of activePanes()) {
    const d = pane.display!;
    pane.view.setNodeHighlighted(node, prev);
    const target = node && d.graph.hasNode(node) ? node : null;
    // The unit's own strongest edge sets the scale, so its receptive field reads at any |w|.
    let localMax = 0;
    if (target) d.graph.forEachEdge(target, (_k, a) => void (localMax = Math.max(localMax, a.absw)));
    // Restyle in place, then one partial refresh of the edges (no reducer runs per frame).
    pane.view.restyleEdges(d.graph.edges(), (key, a) => {
      if (target === null) {
        Object.assign(a, edgeStyle(a.weight, d.maxAbs, a.muted));
      } else if (d.graph.hasExtremity(key, target)) {
        Object.assign(a, edgeStyle(a.weight, localMax));
      } else {
        a.color = DIMMED;
        a.size = 1;
      }
    });
    paintNeighbours(pane, prev, null);
    if (target) paintNeighbours(pane, target, localMax);
  }
  state.hovered = node;
  if (node) {
    ui.tooltip.innerHTML = activePanes().map((p) => unitInfo(p, node)).join('<hr>');
    ui.tooltip.hidden = false;
    placeTooltip(node);
  } else {
    ui.tooltip.hidden = true;
  }
}

/**
 * Colour the hovered unit's neighbours by the sign and |w| of their edge to it (on a 28×28 input
 * grid this paints the output unit's receptive field as an image); `scale` null restores them.
 */
function paintNeighbours(pane: Pane, node: string | null, scale: number | null): void {
  const g = pane.display!.graph;
  if (!node || !g.hasNode(node)) return;
  const neighbours: string[] = [];
  const weightTo = new Map<string, number>();
  g.forEachEdge(node, (_k, a, s, t) => {
    const other = s === node ? t : s;
    neighbours.push(other);
    weightTo.set(other, a.weight);
  });
  const base = pane.display!.baseSizes;
  pane.view.restyleNodes(neighbours, (key, a) => {
    if (scale === null) {
      a.color = a.side === 'in' ? COLORS.input : COLORS.output;
      a.size = base[a.side];
    } else {
      a.color = edgeStyle(weightTo.get(key)!, scale).color;
      // Grid pixels are tiny: enlarge them more so the receptive field reads as an image.
      a.size = base[a.side] * (a.side === 'in' && g.order > 400 ? 3 : 1.8);
    }
  });
}

/** Put the tooltip beside the unit in the first pane, inside the window. */
function placeTooltip(node: string): void {
  const at = paneA.view.nodeOnScreen(node);
  if (!at) return;
  const box = document.getElementById('graph-a')!.getBoundingClientRect();
  const tip = ui.tooltip.getBoundingClientRect();
  let left = box.left + at.x + at.r + 10;
  let top = box.top + at.y - tip.height / 2;
  if (left + tip.width > window.innerWidth - 8) left = box.left + at.x - at.r - 10 - tip.width;
  top = Math.max(8, Math.min(window.innerHeight - tip.height - 8, top));
  ui.tooltip.style.left = `${Math.max(8, left)}px`;
  ui.tooltip.style.top = `${top}px`;
}

/**
 * Find a unit, show it as on hover, and move the camera so that the unit and every unit it has a
 * weight to are on screen: an output unit's receptive field, painted on the input grid, stays in
 * view (zooming onto the unit alone put the grid off screen). In side-by-side mode the second
 * view follows.
 */
async function search(text: string): Promise<void> {
  const q = text.trim().toLowerCase();
  if (!q || !paneA.display) return;
  const m = /^(in|out)?\s*[:/ ]?\s*(\d+)$/.exec(q);
  const key = m ? `${m[1] ?? 'out'}:${m[2]}` : q;
  if (!paneA.display.graph.hasNode(key)) {
    setStatus(`no unit '${text}' (try in:<i> or out:<j>)`);
    return;
  }
  setStatus('');
  hover(key);
  // the units painted as its field: every neighbour, drawn edge or not (as paintNeighbours colours them)
  const field = new Set<string>([key]);
  for (const p of activePanes()) p.display!.graph.forEachNeighbor(key, (n) => void field.add(n));
  await paneA.view.focus([...field]);
  placeTooltip(key);
}

// ---------------------------------------------------------------------------------------------
// ForceAtlas2 (web worker)

function runForceAtlas2(): void {
  stopLayout();
  const d = paneA.display!;
  const graph = d.graph;
  const settings = { ...inferSettings(graph), barnesHutOptimize: graph.order > 500, adjustSizes: false };
  const fa2 = new FA2Layout(graph, { settings, getEdgeWeight: 'absw' });
  state.fa2 = fa2;
  fa2.start();
  setStatus('ForceAtlas2 running in a worker…');
  const started = performance.now();
  const key = layoutKey();
  const tick = (): void => {
    if (state.fa2 !== fa2) return;
    syncPositionsFromA();
    if (performance.now() - started > FA2_SECONDS * 1000) {
      stopLayout();
      state.laidOut.add(key);
      setStatus('');
      return;
    }
    setTimeout(tick, 250);
  };
  setTimeout(tick, 250);
}

/** Keep the randomized pane on the same layout, and remember it for this layer. */
function syncPositionsFromA(): void {
  const g = paneA.display!.graph;
  const p = positionsFor(state.layer!);
  const nIn = state.layer!.shape[0];
  g.forEachNode((key, a) => {
    const k = a.side === 'in' ? a.index : nIn + a.index;
    p[2 * k] = a.x;
    p[2 * k + 1] = a.y;
  });
  if (mode() === 'side' && paneB.display) {
    const gb = paneB.display.graph;
    g.forEachNode((key, a) => {
      const b = gb.getNodeAttributes(key);
      b.x = a.x;
      b.y = a.y;
    });
    paneB.view.refreshAll();
  }
}

function stopLayout(): void {
  if (state.fa2) {
    state.fa2.kill();
    state.fa2 = null;
  }
}

// ---------------------------------------------------------------------------------------------
// wiring

function wireEvents(): void {
  ui.model.addEventListener('change', () => void guarded(selectModel));
  ui.layer.addEventListener('change', () => void guarded(selectLayer));
  ui.method.addEventListener('change', () => void guarded(rebuild));
  ui.seed.addEventListener('change', () => void guarded(rebuild));
  ui.mode.addEventListener('change', () => void guarded(rebuild));
  ui.layout.addEventListener('change', () => void guarded(rebuild));
  ui.slider.addEventListener('input', () => applyThreshold(sliderToThreshold(Number(ui.slider.value))));
  ui.search.addEventListener('change', () => void search(ui.search.value));
  ui.search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void search(ui.search.value);
    if (e.key === 'Escape') hover(null);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') hover(null);
  });
  for (const pane of [paneA, paneB]) {
    pane.view.onHover((node) => hover(node));
    pane.view.onStageClick(() => hover(null));
    pane.view.onCamera((s) => {
      if (mode() === 'side') (pane === paneA ? paneB : paneA).view.setCamera(s);
    });
  }
  ui.exportPng.addEventListener('click', () => {
    void exportPng(activePanes().map((p) => p.view)).then((blob) => downloadBlob(blob, `${fileStem()}.png`));
  });
  ui.exportSvg.addEventListener('click', () => {
    const svg = exportSvg(activePanes().map((p) => ({ view: p.view, graph: p.display!.graph, title: ui.titleA.textContent ?? '' })));
    downloadBlob(new Blob([svg], { type: 'image/svg+xml' }), `${fileStem()}.svg`);
  });
  window.addEventListener('resize', () => activePanes().forEach((p) => p.view.resize()));
}

function fileStem(): string {
  const m = state.modelInfo!;
  return [m.label ?? m.task, m.run !== null ? `run-${m.run}` : '', state.layer!.name, mode() === 'original' ? '' : `${ui.method.value}-seed${ui.seed.value}`]
    .filter(Boolean)
    .join('_')
    .replace(/[^\w.-]+/g, '-');
}

async function busy(message: string, work: () => Promise<void>): Promise<void> {
  state.busy++;
  setStatus(message);
  // Let the status paint before a long synchronous step.
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  try {
    await work();
  } finally {
    state.busy--;
  }
}

async function guarded(work: () => Promise<void>): Promise<void> {
  try {
    state.ready = false;
    await work();
  } catch (err) {
    state.error = (err as Error).message;
    setStatus(`Error: ${state.error}`);
  } finally {
    state.ready = true;
  }
}

function setStatus(text: string): void {
  ui.status.textContent = text;
  ui.status.hidden = text === '';
}

// ---------------------------------------------------------------------------------------------
// test hook

/** Signed degrees of the units counting only the edges drawn now (what a user sees). */
function visibleDegrees(pane: Pane): { kPlus: number[]; kMinus: number[] } {
  const [nIn, nOut] = pane.layer!.shape;
  const kPlus = new Array<number>(nIn + nOut).fill(0);
  const kMinus = new Array<number>(nIn + nOut).fill(0);
  pane.display!.graph.forEachEdge((key, a) => {
    if (a.hidden) return;
    const flat = edgeFlatIndex(key);
    const i = Math.floor(flat / nOut), j = flat - i * nOut;
    const k = a.weight > 0 ? kPlus : kMinus;
    k[i]++;
    k[nIn + j]++;
  });
  return { kPlus, kMinus };
}

const hook = {
  get ready(): boolean {
    return state.ready && state.busy === 0;
  },
  get error(): string | null {
    return state.error;
  },
  get mode(): Mode {
    return mode();
  },
  get layer(): string | null {
    return state.layer?.name ?? null;
  },
  get shape(): [number, number] | null {
    return state.layer ? [state.layer.shape[0], state.layer.shape[1]] : null;
  },
  get threshold(): number {
    return state.threshold;
  },
  get thresholdMs(): number {
    return state.thresholdMs;
  },
  /** Counted from sigma's display data: what the renderer holds as visible. */
  get renderedNodes(): number {
    return paneA.view.drawnCounts().nodes;
  },
  get renderedEdges(): number {
    return paneA.view.drawnCounts().edges;
  },
  get renderedEdgesB(): number {
    return mode() === 'side' ? paneB.view.drawnCounts().edges : 0;
  },
  get keptEdges(): number {
    return paneA.kept;
  },
  get largestComponent(): number {
    return paneA.curve ? largestComponent(paneA) : 0;
  },
  get largestComponentB(): number {
    return mode() === 'side' && paneB.curve ? largestComponent(paneB) : 0;
  },
  /** Visible edges as [i, j, w] of pane a or b. */
  edges(which: 'a' | 'b' = 'a'): [number, number, number][] {
    const pane = which === 'a' ? paneA : paneB;
    const nOut = pane.layer!.shape[1];
    const out: [number, number, number][] = [];
    pane.display!.graph.forEachEdge((key, a) => {
      if (a.hidden) return;
      const flat = edgeFlatIndex(key);
      out.push([Math.floor(flat / nOut), flat % nOut, a.weight]);
    });
    return out;
  },
  degrees(which: 'a' | 'b' = 'a'): { kPlus: number[]; kMinus: number[] } {
    return visibleDegrees(which === 'a' ? paneA : paneB);
  },
  /** Flat indices of the drawn edges shown grey (outside the model's highlighted set). */
  mutedEdges(): number[] {
    const out: number[] = [];
    paneA.display!.graph.forEachEdge((key, a) => void (a.muted && out.push(edgeFlatIndex(key))));
    return out.sort((x, y) => x - y);
  },
  /** Share of non-background pixels in the composited graph canvas(es). */
  inkFraction(): number {
    const canvas = compositeCanvas(activePanes().map((p) => p.view), '#ffffff');
    const ctx = canvas.getContext('2d')!;
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0;
    for (let k = 0; k < data.length; k += 4) if (data[k] < 245 || data[k + 1] < 245 || data[k + 2] < 245) ink++;
    return ink / (data.length / 4);
  },
  /** A unit's position on screen in pane a (CSS pixels from the drawing's top left) and the drawing's size. */
  onScreen(key: string): { x: number; y: number; width: number; height: number } | null {
    const p = paneA.view.nodeOnScreen(key);
    return p ? { x: p.x, y: p.y, ...paneA.view.size() } : null;
  },
  /** Graph coordinates of a unit in pane a. */
  nodePosition(key: string): { x: number; y: number } | null {
    const g = paneA.display?.graph;
    return g?.hasNode(key) ? { x: g.getNodeAttribute(key, 'x'), y: g.getNodeAttribute(key, 'y') } : null;
  },
  get layoutRunning(): boolean {
    return state.fa2 !== null;
  },
  /** Where the last randomized layer was computed: 'worker' unless module workers are missing. */
  get randomizedIn(): string {
    return lastRun.where;
  },
  hover,
  search,
  async exportPngDataUrl(): Promise<string> {
    const blob = await exportPng(activePanes().map((p) => p.view));
    return new Promise((ok) => {
      const r = new FileReader();
      r.onload = () => ok(String(r.result));
      r.readAsDataURL(blob);
    });
  },
  exportSvg(): string {
    return exportSvg(activePanes().map((p) => ({ view: p.view, graph: p.display!.graph, title: '' })));
  },
};
(window as unknown as { __weightscope: typeof hook }).__weightscope = hook;

init().catch((err: Error) => {
  state.error = err.message;
  setStatus(`Error: ${err.message}`);
  state.ready = true;
});
