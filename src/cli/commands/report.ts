import { Command } from 'commander';
import { join } from 'node:path';
import { readRunFolder, writeReport } from '../../report/index.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('rebuild report.html and summary.json of a run folder from its results (e.g. after a partial run)')
    .argument('<run-dir>', 'a run folder written by `weightscope reproduce`')
    .action((dir: string) => {
      writeReport(dir, readRunFolder(dir));
      process.stdout.write(`${join(dir, 'report.html')}\n`);
    });
}
