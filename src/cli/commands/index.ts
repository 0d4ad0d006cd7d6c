import type { Command } from 'commander';

/**
 * Every subcommand, one line each. A command's module is imported only when it runs (or when the
 * help lists them all), so `weightscope layers` does not load TensorFlow.js, d3 or Redis clients.
 */
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  reproduce: async () => (await import('./reproduce.js')).registerReproduce,
  train: async () => (await import('./train.js')).registerTrain,
  probe: async () => (await import('./probe.js')).registerProbe,
  randomize: async () => (await import('./randomize.js')).registerRandomize,
  stats: async () => (await import('./stats.js')).registerStats,
  percolate: async () => (await import('./percolate.js')).registerPercolate,
  export: async () => (await import('./export.js')).registerExport,
  report: async () => (await import('./report.js')).registerReport,
  view: async () => (await import('./view.js')).registerView,
  layers: async () => (await import('./layers.js')).registerLayers,
  compare: async () => (await import('./compare.js')).registerCompare,
  'text-lines': async () => (await import('./text-lines.js')).registerTextLines,
  transformer: async () => (await import('./transformer.js')).registerTransformer,
  twins: async () => (await import('./twins.js')).registerTwins,
  multitask: async () => (await import('./multitask.js')).registerMultitask,
  worker: async () => (await import('./worker.js')).registerWorker,
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

/** Register the command `argv` names (its first word), or every command when it names none (`--help`, `help X`, a typo). */
export async function registerCommands(program: Command, argv: readonly string[] = []): Promise<void> {
  const first = argv.find((a) => !a.startsWith('-'));
  const names = first !== undefined && first in COMMANDS ? [first] : COMMAND_NAMES;
  for (const name of names) (await COMMANDS[name]())(program);
}
