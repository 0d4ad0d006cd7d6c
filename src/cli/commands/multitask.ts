import { Command, InvalidArgumentError, Option } from 'commander';
import { BOUNDS, DEFAULT_SWEEP, MODEL_CHOICES, OBSERVATION_FLAGS, QUICK_SWEEP } from '../../study/kinds/multitask/config.js';
import { runStudy } from '../../study/run.js';
import { createProgress } from '../progress.js';
import { intList, numberList, positiveInt } from '../options.js';
import { addStudyRunOptions, studyRunFlags } from './shared.js';

/** `--model mlp` or a comma-separated list (`mlp,rnn`); every name is checked by the study. */
function modelList(value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InvalidArgumentError(`has an empty item; must be ${MODEL_CHOICES.join(', ')} or a comma-separated list of them.`);
  return items;
}

export function registerMultitask(program: Command): void {
  const list = (values: number[]) => values.join(',');
  const cmd = program
    .command('multitask')
    .description('train networks on K binary tasks over a hidden latent state (arXiv 2407.11249): disentanglement, the weight graph and the five probes, with a report')
    .option('--tasks <list>', `numbers of tasks K (default ${list(DEFAULT_SWEEP.tasks)}; --quick ${list(QUICK_SWEEP.tasks)}; each ${BOUNDS.tasks.min}–${BOUNDS.tasks.max})`, intList)
    .option('--noise <list>', `noise σ on the latent, per look (default ${list(DEFAULT_SWEEP.noise)}; --quick ${list(QUICK_SWEEP.noise)}; each ${BOUNDS.noise.min}–${BOUNDS.noise.max})`, numberList)
    .option('--latent-dim <list>', `latent dimensions D (default ${list(DEFAULT_SWEEP.latentDim)}; --quick ${list(QUICK_SWEEP.latentDim)}; each ${BOUNDS.latentDim.min}–${BOUNDS.latentDim.max})`, intList)
    .option('--model <list>', "networks: 'mlp' (observations → 64 → 64 → K sigmoid heads), 'rnn' (64 ReLU units over the noisy looks), or both (mlp,rnn)", modelList, ['mlp'])
    .addOption(new Option('--map <map>', "the observation map, how the latent is observed: 'rbf' (a radial-basis population code) or 'relu' (the authors' frozen random ReLU network, nearly linear)").choices(Object.keys(OBSERVATION_FLAGS)).default('rbf'))
    .option('--runs <n>', `independently trained models per setting (default ${DEFAULT_SWEEP.runs}; --quick ${QUICK_SWEEP.runs}; at most ${BOUNDS.runs.max})`, positiveInt);
  addStudyRunOptions(cmd, 'a small, fast run: fewer settings, shorter training, fewer probes').action(async (opts) => {
    const d = opts.quick ? QUICK_SWEEP : DEFAULT_SWEEP;
    await runStudy('multitask', {
      ...studyRunFlags(opts),
      tasks: opts.tasks ?? d.tasks,
      noise: opts.noise ?? d.noise,
      latentDim: opts.latentDim ?? d.latentDim,
      model: opts.model,
      observation: OBSERVATION_FLAGS[opts.map],
      runs: opts.runs ?? d.runs,
    }, { progress: createProgress({ quiet: opts.quiet }) });
  });
}
