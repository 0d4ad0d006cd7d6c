/**
 * `weightscope view RUN_DIR|MODEL`: serve the browser viewer for a run folder or one model and
 * keep serving until Ctrl-C.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { UserError } from '../../core/errors.js';
import { startViewer } from '../../viewer/index.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { makeTempDir } from '../../core/io.js';
import type { ConvMapping } from '../../formats/inventory.js';
import { openModel } from '../../formats/open.js';
import { formatOf } from '../../formats/registry.js';
import { isTaggerFolder } from '../../formats/tagger.js';
import { saveModel } from '../../model/index.js';
import { convOption, layerOption, modelHelp } from './model-options.js';

/**
 * A model file (.safetensors, .npz, …) or a transformer tagger folder is shown as a folder of
 * one-layer models, one per layer (its layers need not chain); a transformer run folder as those of
 * each of its taggers (`run-<k>.<layer>`). Written to a temporary folder removed when the viewer stops.
 */
async function viewableFolder(sources: { prefix: string; path: string }[], opts: { layer?: string; conv?: ConvMapping }): Promise<{ folder: string; labels: Map<string, string>; cleanup: () => void }> {
  // named after this process: a viewer killed before it could clean up has its folder removed by the next one
  const { dir: folder, remove: cleanup } = makeTempDir('weightscope-view');
  // the page names each one-layer model after its layer in the user's file, not its folder here
  const labels = new Map<string, string>();
  try {
    for (const { prefix, path } of sources) {
      const model = await openModel(path, { conv: opts.conv, layer: opts.layer });
      model.selected.forEach((e, k) => {
        const layer = e.load();
        const sub = `${prefix}${String(k).padStart(3, '0')}-${e.name.replace(/[^\w.-]/g, '_')}`;
        saveModel(join(folder, sub), { layers: [{ ...layer, activation: 'linear' }] });
        labels.set(`${sub}/model.json`, `${prefix}${e.name}`);
      });
    }
  } catch (err) {
    cleanup();
    throw err;
  }
  return { folder, labels, cleanup };
}

/** The tagger folders of a `weightscope transformer` run folder (models/<task>/run-<k>), or none. */
function taggerRuns(target: string): { prefix: string; path: string }[] {
  const models = join(target, 'models');
  if (!existsSync(models) || !statSync(models).isDirectory()) return [];
  return readdirSync(models).sort().flatMap((task) => {
    const dir = join(models, task);
    if (!statSync(dir).isDirectory()) return [];
    return readdirSync(dir)
      .filter((name) => /^run-\d+$/.test(name) && isTaggerFolder(join(dir, name)))
      .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)))
      .map((name) => ({ prefix: `${task}.${name}.`, path: join(dir, name) }));
  });
}

/**
 * What the viewer is given for a target: converted one-layer models, or null to serve it as it is
 * (a run folder, a tfjs model folder or model.json without --layer: the viewer reads those itself).
 */
function convertedSources(target: string, layer: string | undefined): { prefix: string; path: string }[] | null {
  const format = formatOf(target)?.format;
  if (format !== undefined && (format !== 'tfjs' || layer !== undefined)) return [{ prefix: '', path: target }];
  const runs = existsSync(target) && statSync(target).isDirectory() ? taggerRuns(target) : [];
  return runs.length ? runs : null;
}

export function registerView(program: Command): void {
  program
    .command('view')
    .description('Open the network viewer on a run folder (or a model folder / model.json)')
    .argument('<target>', `a run folder written by \`weightscope reproduce\` or \`weightscope transformer\`, or a model: ${modelHelp()}`)
    .option('--port <n>', 'port to listen on (0 = any free port)', '0')
    .option('--host <h>', 'interface to bind (keep 127.0.0.1 unless you mean to share it)', '127.0.0.1')
    .option('--no-open', 'do not open a browser, just print the URL')
    .addOption(layerOption('a model: show only this layer'))
    .addOption(convOption())
    .action(async (target: string, opts: { port: string; host: string; open: boolean; layer?: string; conv: ConvMapping }) => {
      if (!/^\d+$/.test(opts.port)) throw new UserError(`--port must be an integer in 0…65535, got '${opts.port}'`);
      // a model file, or a transformer tagger folder (its projections do not chain): one-layer models
      const sources = convertedSources(target, opts.layer);
      const converted = sources ? await viewableFolder(sources, opts) : null;
      const shown = converted ? { name: basename(resolve(target)), labels: converted.labels } : {};
      const viewer = await startViewer({ target: converted?.folder ?? target, host: opts.host, port: Number(opts.port), ...shown }).catch((err: unknown) => {
        converted?.cleanup();
        throw err;
      });
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
          void viewer.close().then(() => {
            converted?.cleanup();
            done();
          });
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
