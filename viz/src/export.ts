/**
 * Export the current view: PNG (the sigma canvases composited on white, panes side by side) and
 * SVG (vector lines and circles at the on-screen positions of the visible edges and units).
 */
import type { GraphView } from './graph-view.js';
import type { ViewGraph } from './layer-graph.js';

/** Offsets of the panes as laid out on the page, and the box holding them all. */
function arrangement(views: GraphView[]): { offsets: { x: number; y: number }[]; width: number; height: number } {
  const rects = views.map((v) => v.rect());
  const left = Math.min(...rects.map((r) => r.left));
  const top = Math.min(...rects.map((r) => r.top));
  return {
    offsets: rects.map((r) => ({ x: r.left - left, y: r.top - top })),
    width: Math.max(1, Math.max(...rects.map((r) => r.right)) - left),
    height: Math.max(1, Math.max(...rects.map((r) => r.bottom)) - top),
  };
}

/** All panes' layers painted onto one 2-D canvas at device resolution, arranged as on the page. */
export function compositeCanvas(views: GraphView[], background: string): HTMLCanvasElement {
  const { offsets, width, height } = arrangement(views);
  const ratio = window.devicePixelRatio || 1;
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * ratio));
  canvas.height = Math.max(1, Math.round(height * ratio));
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.scale(ratio, ratio);
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, width, height);
  views.forEach((v, k) => v.drawInto(ctx, offsets[k].x, offsets[k].y));
  return canvas;
}

export function exportPng(views: GraphView[]): Promise<Blob> {
  const canvas = compositeCanvas(views, '#ffffff');
  return new Promise((ok, fail) => canvas.toBlob((b) => (b ? ok(b) : fail(new Error('PNG encoding failed'))), 'image/png'));
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** rgba(r,g,b,a) → stroke + stroke-opacity (SVG 1.1 viewers ignore rgba). */
function paint(color: string): string {
  const m = /^rgba\((\d+),(\d+),(\d+),([\d.]+)\)$/.exec(color.replace(/\s+/g, ''));
  return m ? `stroke="rgb(${m[1]},${m[2]},${m[3]})" stroke-opacity="${m[4]}"` : `stroke="${color}"`;
}

export function exportSvg(panes: { view: GraphView; graph: ViewGraph; title: string }[]): string {
  const { offsets, width, height } = arrangement(panes.map((p) => p.view));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  ];
  panes.forEach((p, k) => {
    const pos = new Map<string, { x: number; y: number; r: number }>();
    p.graph.forEachNode((n) => {
      const s = p.view.nodeOnScreen(n);
      if (s) pos.set(n, s);
    });
    parts.push(`<g class="pane" transform="translate(${offsets[k].x.toFixed(1)},${offsets[k].y.toFixed(1)})">`);
    if (p.title) parts.push(`<text x="8" y="16" font-family="system-ui, sans-serif" font-size="12" fill="#334155">${esc(p.title)}</text>`);
    parts.push('<g class="edges" fill="none" stroke-linecap="round">');
    p.graph.forEachEdge((_e, a, s, t) => {
      if (a.hidden) return;
      const ps = pos.get(s)!, pt = pos.get(t)!;
      const w = p.view.edgeWidthOnScreen(a.size);
      parts.push(`<line x1="${ps.x.toFixed(1)}" y1="${ps.y.toFixed(1)}" x2="${pt.x.toFixed(1)}" y2="${pt.y.toFixed(1)}" stroke-width="${w.toFixed(2)}" ${paint(a.color)}/>`);
    });
    parts.push('</g><g class="nodes">');
    p.graph.forEachNode((n, a) => {
      const q = pos.get(n)!;
      parts.push(`<circle cx="${q.x.toFixed(1)}" cy="${q.y.toFixed(1)}" r="${q.r.toFixed(2)}" fill="${a.color}"><title>${esc(n)}</title></circle>`);
    });
    parts.push('</g></g>');
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
