import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

// dist/test/report/ → the repository root
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('the browser surface of the report imports nothing from Node or jsdom, transitively', () => {
  const seen = new Set<string>();
  const queue = [join(root, 'src/report/browser.ts')];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:import|export)[^'"]*from\s+'([^']+)'/g)) {
      const spec = m[1];
      assert.ok(!spec.startsWith('node:') && spec !== 'jsdom' && !['fs', 'path', 'os'].includes(spec), `${file} imports ${spec}`);
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        assert.ok(existsSync(target), `${file}: ${spec} not found`);
        queue.push(target);
      }
    }
  }
  assert.ok([...seen].some((f) => f.endsWith('charts.ts')));
  assert.ok(![...seen].some((f) => f.endsWith('html.ts') || f.endsWith('load.ts') || f.endsWith('io.ts')));
});
