/**
 * A DOM document for rendering SVG charts in Node. jsdom is required on first use, not imported:
 * loading it (and css-tree) costs about a second, which every CLI start paid before, whether or
 * not the command drew a chart.
 */
import { createRequire } from 'node:module';

type JsdomModule = typeof import('jsdom');
let jsdom: JsdomModule | undefined;

/** A fresh empty HTML document to draw charts into (serialise them with `outerHTML`). */
export function chartDocument(): Document {
  jsdom ??= createRequire(import.meta.url)('jsdom') as JsdomModule;
  return new jsdom.JSDOM('<!DOCTYPE html><html><body></body></html>').window.document;
}
