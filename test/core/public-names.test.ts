/**
 * One exported name, one function: across every entry point package.json exports (the public
 * library), a name that two entry points export must be the same function (a re-export), never two
 * functions that happen to share a name (as `histogram`, `countNonZero` and `encodeValues` once were).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('every exported function name of the public entry points names one function', async () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string> };
  const entries = Object.entries(pkg.exports).filter(([, file]) => file.endsWith('.js'));
  assert.ok(entries.length >= 5, 'package.json exports the library entry points');
  const owners = new Map<string, Map<unknown, string[]>>();
  const collect = (where: string, mod: Record<string, unknown>): void => {
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value === 'function') {
        const byFunction = owners.get(name) ?? new Map<unknown, string[]>();
        byFunction.set(value, [...(byFunction.get(value) ?? []), where]);
        owners.set(name, byFunction);
      } else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === null) {
        collect(`${where}.${name}`, value as Record<string, unknown>); // a namespace (`export * as stats`)
      }
    }
  };
  for (const [entry, file] of entries) collect(`weightscope${entry.slice(1)}`, (await import(pathToFileURL(join(root, file)).href)) as Record<string, unknown>);
  assert.ok(owners.has('applyProbe') && owners.has('randomizeLayer'), 'the collection sees the library');
  const clashes = [...owners].filter(([, fns]) => fns.size > 1).map(([name, fns]) => `${name}: ${[...fns.values()].map((w) => w.join(' = ')).join(' vs ')}`);
  assert.deepEqual(clashes, [], 'names exported as two different functions');
});
