/**
 * The package's public entry points, imported by the package's own name as a user's code would
 * (Node resolves `weightscope/…` through package.json `exports` to the built files): every entry
 * point package.json declares loads, and every name the README's "As a library" and the docs
 * import from `weightscope/…` is exported there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, string> };

/** `import { a, b as c, type T } from 'weightscope/x'` in the README and docs/*.md: specifier → value names. */
function documentedImports(): Map<string, Set<string>> {
  const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const out = new Map<string, Set<string>>();
  for (const f of files) {
    const text = readFileSync(join(root, f), 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(weightscope(?:\/[\w-]+)?)'/g)) {
      const names = m[1].split(',').map((s) => s.trim()).filter((s) => s && !s.startsWith('type ')).map((s) => s.split(/\s+as\s+/)[0]);
      const set = out.get(m[2]) ?? new Set<string>();
      for (const n of names) set.add(n);
      out.set(m[2], set);
    }
  }
  return out;
}

test('every entry point package.json exports loads by the package name', async () => {
  for (const key of Object.keys(pkg.exports)) {
    if (key.endsWith('.json')) continue;
    const spec = key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`;
    const mod = (await import(spec)) as Record<string, unknown>;
    assert.ok(Object.keys(mod).length > 0, `${spec} exports nothing`);
  }
});

test('every name the README and the docs import from weightscope/… is exported there', async () => {
  const imports = documentedImports();
  for (const spec of ['weightscope/core', 'weightscope/formats', 'weightscope/model', 'weightscope/probes', 'weightscope/randomize', 'weightscope/stats', 'weightscope/graph']) {
    assert.ok(imports.has(spec), `the docs show no import from ${spec}`);
  }
  for (const [spec, names] of imports) {
    const mod = (await import(spec)) as Record<string, unknown>;
    for (const n of names) assert.notEqual(mod[n], undefined, `${spec} does not export ${n}`);
  }
  // the package's root namespaces each concern, formats among them
  const all = (await import(pkg.name)) as Record<string, Record<string, unknown>>;
  assert.equal(typeof all.formats.openModel, 'function');
});
