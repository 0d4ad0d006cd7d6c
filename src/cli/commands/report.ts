import { Command } from 'commander';
import { rebuildReport } from '../../study/run.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('rebuild report.html and summary.json of a run folder from its results (e.g. after a partial run)')
    .argument('<run-dir>', 'a run folder written by `weightscope reproduce`, `weightscope transformer` or `weightscope multitask`')
    .option('--fold-below-chance', 'fold accuracies below 50 % to 100 − x before aggregating, as the reference\'s figures (off unless given: see docs/report.md)')
    .action(async (dir: string, opts: { foldBelowChance?: boolean }) => {
      process.stdout.write(`${await rebuildReport(dir, { foldBelowChance: opts.foldBelowChance ?? false })}\n`);
    });
}
