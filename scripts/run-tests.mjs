// `npm test`'s last step: node --test on exactly the compiled test files, dist/test/**/*.test.js.
// Node 20's --test takes no globs, and given a folder it also runs every .js under a `test` folder
// (fixtures, harnesses, workers) as a test file. The list comes from the sources, test/**/*.test.ts,
// so a compiled file whose source was deleted (dist/ is not cleaned) does not run either.
//   node scripts/run-tests.mjs                    every test
//   node scripts/run-tests.mjs graph probes/noise only these folders / files (under test/)
//   node scripts/run-tests.mjs --test-name-pattern=KS   flags go to node --test
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('-'));
const only = args.filter((a) => !a.startsWith('-')).map((a) => a.replace(/^(dist[/\\])?test[/\\]/, '').replace(/\.test\.[jt]s$/, '').replace(/[/\\]$/, ''));

const sources = readdirSync(join(root, 'test'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => f.split(sep).join('/'))
  .sort();
const chosen = only.length ? sources.filter((f) => only.some((o) => f === `${o}.test.ts` || f.startsWith(`${o}/`))) : sources;
if (chosen.length === 0) {
  process.stderr.write(`run-tests: no test file matches ${only.join(', ')}\n`);
  process.exit(2);
}
const files = chosen.map((f) => join(root, 'dist', 'test', f.replace(/\.ts$/, '.js')));
const missing = files.filter((f) => !existsSync(f));
if (missing.length) {
  process.stderr.write(`run-tests: not built: ${missing.map((f) => relative(root, f)).join(', ')} (run npm run build)\n`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...flags, ...files.map((f) => relative(root, f))], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
