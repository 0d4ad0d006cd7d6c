/**
 * A command whose reader goes away (`weightscope layers M | head -1`) ends quietly: no EPIPE
 * stack trace, exit 0, as a Unix filter does.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveNpy } from '../../src/model/files.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

/** Run the CLI with its stdout closed before it writes a byte; resolve with its exit code and stderr. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('a closed stdout ends layers and stats quietly (exit 0, nothing on stderr)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-epipe-'));
  const model = join(dir, 'w.npy');
  saveNpy(model, Float32Array.from({ length: 30 * 20 }, (_, k) => Math.sin(k)), [30, 20]);
  for (const args of [['layers', model], ['stats', model], ['--help']]) {
    const r = await runWithClosedStdout(args);
    assert.equal(r.stderr, '', `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.code, 0, args.join(' '));
  }
});
