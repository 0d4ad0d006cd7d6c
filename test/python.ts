/**
 * The Python the cross-check tests run (/usr/bin/python3, or WEIGHTSCOPE_PYTHON), and whether it
 * has the modules a check needs. A check that cannot run is skipped with the reason as its one
 * visible line in the test output; the suite never depends on Python.
 */
import { spawnSync } from 'node:child_process';

export const PYTHON = process.env.WEIGHTSCOPE_PYTHON || '/usr/bin/python3';

/** null when PYTHON imports every module, else the skip line saying what is missing. */
export function pythonMissing(modules: string[], what: string): string | null {
  const r = spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (r.error) return `${what} skipped: no Python at ${PYTHON}`;
  if (r.status === 0) return null;
  const missing = /No module named '([^']+)'/.exec(r.stderr)?.[1] ?? modules.join('/');
  return `${what} skipped: ${PYTHON} has no ${missing} (needs ${modules.join(', ')})`;
}
