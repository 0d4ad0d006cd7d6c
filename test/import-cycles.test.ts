/**
 * No import cycles in the product (src/ and the viewer's viz/src/), type-only imports included.
 *
 * The graph is read from the TypeScript sources, not from dist/: `import type` and type-only
 * `export … from` vanish from the emitted JavaScript, and a cycle through types still ties two
 * modules together. TypeScript itself (a dev dependency already) lists each file's imports
 * (ts.preProcessFile: static, type-only, re-exports and dynamic import()) and resolves them as the
 * compiler does (ts.resolveModuleName, NodeNext: './x.js' → x.ts); this file only walks the graph.
 * A tool such as dependency-cruiser or madge would do the same with a few dozen more packages.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** file → the files of `files` it imports (any kind of import). */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const options: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, allowJs: false };
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = importedFiles
      .filter((i) => i.fileName.startsWith('.'))
      .map((i) => ts.resolveModuleName(i.fileName, file, options, ts.sys).resolvedModule?.resolvedFileName)
      .filter((f): f is string => f !== undefined && known.has(f));
    graph.set(file, [...new Set(deps)]);
  }
  return graph;
}

/** Every cycle, one per strongly connected component (Tarjan), as a path a → b → … → a, with the component's files. */
function cycles(graph: Map<string, string[]>): { path: string[]; files: string[] }[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) components.push(component);
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((component) => ({ path: shortestCycle(graph, component), files: component.sort() }));
}

/** A shortest way from the component's first file back to itself (breadth-first inside the component). */
function shortestCycle(graph: Map<string, string[]>, component: string[]): string[] {
  const inside = new Set(component);
  const start = [...component].sort()[0];
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v)!) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0])!);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

test('the cycle finder sees a cycle made only of type imports and re-exports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-cycles-'));
  writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport interface A { b?: B }\n");
  writeFileSync(join(dir, 'b.ts'), "export type { C as B } from './c.js';\n");
  writeFileSync(join(dir, 'c.ts'), "import type { A } from './a.js';\nexport interface C { a?: A }\n");
  writeFileSync(join(dir, 'd.ts'), "import { x } from './e.js';\nexport const d = x;\n");
  writeFileSync(join(dir, 'e.ts'), 'export const x = 1;\nexport const later = () => import(\'./d.js\');\n');
  writeFileSync(join(dir, 'f.ts'), "import type { A } from './a.js';\nexport type F = A;\n");
  const found = cycles(importGraph(sourceFiles(dir))).map((c) => c.path.map((f) => relative(dir, f)).join(' → '));
  assert.deepEqual(found.sort(), ['a.ts → b.ts → c.ts → a.ts', 'd.ts → e.ts → d.ts']);
});

test('no import cycles in src/ and viz/src/, type-only imports included', () => {
  const files = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'viz', 'src'))];
  assert.ok(files.length > 100, `found the sources (${files.length} files) under ${root}`);
  const graph = importGraph(files);
  assert.ok([...graph.values()].reduce((n, deps) => n + deps.length, 0) > files.length, 'the imports were resolved');
  const name = (f: string) => relative(root, f);
  const found = cycles(graph).map((c) => `${c.path.map(name).join(' → ')}${c.files.length + 1 > c.path.length ? ` (all of ${c.files.map(name).join(', ')})` : ''}`);
  assert.deepEqual(found, [], `import cycles:\n${found.join('\n')}`);
});
