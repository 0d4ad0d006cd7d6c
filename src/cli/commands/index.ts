import type { Command } from 'commander';
import { registerReproduce } from './reproduce.js';
import { registerTrain } from './train.js';
import { registerProbe } from './probe.js';
import { registerStats } from './stats.js';
import { registerPercolate } from './percolate.js';
import { registerExport } from './export.js';
import { registerReport } from './report.js';
import { registerView } from './view.js';
import { registerRandomize } from './randomize.js';
import { registerLayers } from './layers.js';
import { registerTextLines } from './text-lines.js';
import { registerTransformer } from './transformer.js';
import { registerWorker } from './worker.js';

/** Every subcommand registers itself here (one line each). */
export function registerCommands(program: Command): void {
  registerReproduce(program);
  registerTrain(program);
  registerProbe(program);
  registerRandomize(program);
  registerStats(program);
  registerPercolate(program);
  registerExport(program);
  registerReport(program);
  registerView(program);
  registerLayers(program);
  registerTextLines(program);
  registerTransformer(program);
  registerWorker(program);
}
