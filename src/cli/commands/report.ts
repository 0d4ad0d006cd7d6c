import { Command } from 'commander';
import { join } from 'node:path';
import { readRunFolder, writeReport } from '../../report/index.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('rebuild report.html and summary.json of a run folder from its results (e.g. after a partial run)')
    .argument('<run-dir>', 'a run folder written by `weightscope reproduce`')
    .option('--fold-below-chance', 'fold accuracies below 50 % to 100 − x before aggregating, as the reference\'s figures (off unless given: see docs/report.md)')
    .action((dir: string, opts: { foldBelowChance?: boolean }) => {
      writeReport(dir, { ...readRunFolder(dir), summaryOptions: { foldBelowChance: opts.foldBelowChance ?? false } });
      process.stdout.write(`${join(dir, 'report.html')}\n`);
    });
}
