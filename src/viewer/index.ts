export { startViewer, DEFAULT_ASSETS_DIR, CONTENT_TYPES, type ViewerOptions, type ViewerHandle } from './server.js';
export { resolveTarget, buildIndex, denseLayersOf, type RunIndex, type IndexedModel, type IndexedLayer } from './run-index.js';
