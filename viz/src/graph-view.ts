/**
 * The one module that knows sigma (v3). The rest of the page talks to a GraphView: show a graph,
 * hide/show edges, highlight a unit, focus, snapshot to a canvas, viewport coordinates for SVG.
 * Swapping sigma v4 in means rewriting this file only.
 *
 * Edges are hidden by mutating their attributes in place and asking sigma for a partial refresh
 * of just those edges (skipIndexation): no graph events, no full reprocess, no per-edge reducer.
 */
import Sigma from 'sigma';
import type { EdgeAttrs, NodeAttrs, ViewGraph } from './layer-graph.js';

export interface CameraState {
  x: number;
  y: number;
  ratio: number;
  angle: number;
}

/** Camera ratio when focusing one unit with no neighbour on screen. */
const LONE_UNIT_RATIO = 0.35;

export class GraphView {
  private renderer: Sigma<NodeAttrs, EdgeAttrs> | null = null;
  private graph: ViewGraph | null = null;
  private cameraListener: ((s: CameraState) => void) | null = null;
  private hoverListener: ((node: string | null) => void) | null = null;
  private stageListener: (() => void) | null = null;
  private syncing = false;

  constructor(private readonly container: HTMLElement) {}

  /** Draw `graph` (replacing what was shown). */
  show(graph: ViewGraph): void {
    this.renderer?.kill();
    this.graph = graph;
    this.renderer = new Sigma<NodeAttrs, EdgeAttrs>(graph, this.container, {
      hideEdgesOnMove: true,
      allowInvalidContainer: true,
      renderEdgeLabels: false,
      enableEdgeEvents: false,
      zIndex: false,
      labelFont: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
      labelSize: 11,
      labelColor: { color: '#334155' },
      labelRenderedSizeThreshold: 9,
      defaultEdgeType: 'line',
      stagePadding: 24,
      minCameraRatio: 0.02,
      maxCameraRatio: 4,
    });
    this.renderer.on('enterNode', ({ node }) => this.hoverListener?.(node));
    this.renderer.on('leaveNode', () => this.hoverListener?.(null));
    this.renderer.on('clickStage', () => this.stageListener?.());
    this.renderer.getCamera().on('updated', (s) => {
      if (!this.syncing) this.cameraListener?.({ x: s.x, y: s.y, ratio: s.ratio, angle: s.angle });
    });
  }

  onHover(listener: (node: string | null) => void): void {
    this.hoverListener = listener;
  }
  onCamera(listener: (s: CameraState) => void): void {
    this.cameraListener = listener;
  }
  setCamera(s: CameraState): void {
    if (!this.renderer) return;
    this.syncing = true;
    this.renderer.getCamera().setState(s);
    this.syncing = false;
  }

  /** Set `hidden` on edges in place and repaint only those. */
  setEdgesHidden(keys: readonly string[], hidden: boolean): void {
    if (!this.graph || !this.renderer || keys.length === 0) return;
    for (const k of keys) this.graph.getEdgeAttributes(k).hidden = hidden;
    this.renderer.refresh({ partialGraph: { edges: keys as string[] }, skipIndexation: true, schedule: true });
  }

  /** Change colour/size of some edges in place (hover highlight) and repaint only those. */
  restyleEdges(keys: readonly string[], style: (key: string, attrs: EdgeAttrs) => void): void {
    if (!this.graph || !this.renderer || keys.length === 0) return;
    for (const k of keys) style(k, this.graph.getEdgeAttributes(k));
    this.renderer.refresh({ partialGraph: { edges: keys as string[] }, skipIndexation: true, schedule: true });
  }

  /** Change colour/size of some units in place and repaint only those. */
  restyleNodes(keys: readonly string[], style: (key: string, attrs: NodeAttrs) => void): void {
    if (!this.graph || !this.renderer || keys.length === 0) return;
    for (const k of keys) style(k, this.graph.getNodeAttributes(k));
    this.renderer.refresh({ partialGraph: { nodes: keys as string[] }, skipIndexation: true, schedule: true });
  }

  setNodeHighlighted(node: string | null, previous: string | null): void {
    if (!this.graph || !this.renderer) return;
    const changed: string[] = [];
    if (previous && this.graph.hasNode(previous)) {
      this.graph.getNodeAttributes(previous).highlighted = false;
      changed.push(previous);
    }
    if (node && this.graph.hasNode(node)) {
      this.graph.getNodeAttributes(node).highlighted = true;
      changed.push(node);
    }
    if (changed.length) this.renderer.refresh({ partialGraph: { nodes: changed }, skipIndexation: true, schedule: true });
  }

  /** Re-read node positions after a layout changed them. */
  refreshAll(): void {
    this.renderer?.refresh();
  }

  /**
   * Move the camera so that these units are all on screen (a unit and its neighbours: an output
   * unit's receptive field), centred, with a margin; a lone unit is zoomed to as before.
   */
  focus(nodes: readonly string[], durationMs = 400): Promise<void> {
    if (!this.renderer || !this.graph) return Promise.resolve();
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const n of nodes) {
      const d = this.graph.hasNode(n) ? this.renderer.getNodeDisplayData(n) : undefined;
      if (!d) continue;
      x0 = Math.min(x0, d.x); x1 = Math.max(x1, d.x);
      y0 = Math.min(y0, d.y); y1 = Math.max(y1, d.y);
    }
    if (!Number.isFinite(x0)) return Promise.resolve();
    const x = (x0 + x1) / 2, y = (y0 + y1) / 2;
    // The box's size on screen scales as 1 / ratio: measure it at ratio 1, then pick the ratio
    // that fits it in the viewport less a margin (never closer than a lone unit's zoom).
    const at1 = { cameraState: { x, y, ratio: 1, angle: 0 } };
    const a = this.renderer.framedGraphToViewport({ x: x0, y: y0 }, at1);
    const b = this.renderer.framedGraphToViewport({ x: x1, y: y1 }, at1);
    const { width, height } = this.renderer.getDimensions();
    const margin = 40;
    const ratio = Math.min(4, Math.max(LONE_UNIT_RATIO, Math.abs(b.x - a.x) / Math.max(1, width - 2 * margin), Math.abs(b.y - a.y) / Math.max(1, height - 2 * margin)));
    return this.renderer.getCamera().animate({ x, y, ratio, angle: 0 }, { duration: durationMs });
  }

  resetCamera(): void {
    this.renderer?.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 });
  }

  /** Viewport (CSS pixel) position and rendered radius of a node, for SVG export. */
  nodeOnScreen(node: string): { x: number; y: number; r: number } | null {
    if (!this.renderer || !this.graph) return null;
    const a = this.graph.getNodeAttributes(node);
    const p = this.renderer.graphToViewport({ x: a.x, y: a.y });
    const d = this.renderer.getNodeDisplayData(node);
    return { x: p.x, y: p.y, r: this.renderer.scaleSize(d?.size ?? a.size) };
  }

  /** Rendered edge thickness in CSS pixels for an edge `size`. */
  edgeWidthOnScreen(size: number): number {
    return this.renderer ? this.renderer.scaleSize(size) : size;
  }

  /** Units and edges sigma holds as displayed (after its own processing), not hidden. */
  drawnCounts(): { nodes: number; edges: number } {
    if (!this.renderer || !this.graph) return { nodes: 0, edges: 0 };
    let nodes = 0, edges = 0;
    for (const n of this.graph.nodes()) if (this.renderer.getNodeDisplayData(n)?.hidden === false) nodes++;
    for (const e of this.graph.edges()) if (this.renderer.getEdgeDisplayData(e)?.hidden === false) edges++;
    return { nodes, edges };
  }

  onStageClick(listener: () => void): void {
    this.stageListener = listener;
  }

  /** Where the view sits on the page (CSS pixels). */
  rect(): DOMRect {
    return this.container.getBoundingClientRect();
  }

  size(): { width: number; height: number } {
    return { width: this.container.clientWidth, height: this.container.clientHeight };
  }

  /**
   * Paint the current view onto a 2-D canvas. WebGL layers keep no drawing buffer, so render
   * synchronously and copy in the same task.
   */
  drawInto(ctx: CanvasRenderingContext2D, dx: number, dy: number): void {
    if (!this.renderer) return;
    this.renderer.refresh();
    const canvases = this.renderer.getCanvases();
    const { width, height } = this.size();
    for (const layer of ['edges', 'nodes', 'edgeLabels', 'labels', 'hovers', 'hoverNodes']) {
      const c = canvases[layer];
      if (c) ctx.drawImage(c, dx, dy, width, height);
    }
  }

  resize(): void {
    this.renderer?.resize();
    this.renderer?.refresh();
  }

  kill(): void {
    this.renderer?.kill();
    this.renderer = null;
    this.graph = null;
  }
}
