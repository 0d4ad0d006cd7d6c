/**
 * `weightscope view RUN_DIR|MODEL`: serve the browser viewer for a run folder or one model and
 * keep serving until Ctrl-C.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { UserError } from '../../core/errors.js';
import { startViewer } from '../../viewer/index.js';

export function registerView(program: Command): void {
  program
    .command('view')
    .description('Open the network viewer on a run folder (or a model folder / model.json)')
    .argument('<target>', 'run folder written by `weightscope reproduce`, a model folder, or a model.json')
    .option('--port <n>', 'port to listen on (0 = any free port)', '0')
    .option('--host <h>', 'interface to bind (keep 127.0.0.1 unless you mean to share it)', '127.0.0.1')
    .option('--no-open', 'do not open a browser, just print the URL')
    .action(async (target: string, opts: { port: string; host: string; open: boolean }) => {
      if (!/^\d+$/.test(opts.port)) throw new UserError(`--port must be an integer in 0…65535, got '${opts.port}'`);
      const viewer = await startViewer({ target, host: opts.host, port: Number(opts.port) });
      if (!viewer.loopback) {
        process.stderr.write(`weightscope view: WARNING: listening on ${viewer.url}, which other machines can reach: anyone on the network can read the models and results it serves\n`);
      }
      const n = viewer.index.models.length;
      process.stdout.write(`weightscope viewer: ${viewer.url}  (${n} model${n === 1 ? '' : 's'} from ${viewer.index.name}; Ctrl-C to stop)\n`);
      if (opts.open) openBrowser(viewer.url);
      await new Promise<void>((done) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void viewer.close().then(done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}

/** Best effort: a missing opener is not an error, the URL is printed anyway. */
function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    /* no opener available */
  }
}
