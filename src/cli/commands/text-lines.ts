import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/io.js';
import { loadMnist, mnistTextLines } from '../../data/index.js';

import { saveNpyArray } from '../../model/files.js';
import { positiveInt, seedValue } from '../options.js';

/** `weightscope text-lines`: MNIST digits composed into text-line images, inputs for OCR models such as PP-OCR recognition. */
export function registerTextLines(program: Command): void {
  program
    .command('text-lines')
    .description('compose MNIST test digits into text-line images [N, 3, 48, 320] normalised as PaddleOCR does, as a .npy of inputs for probing OCR models')
    .requiredOption('--out <file>', 'the .npy to write; the digits of each line go to <file>.txt')
    .option('--count <n>', 'number of lines', positiveInt, 16)
    .option('--digits <n>', 'digits per line', positiveInt, 6)
    .option('--height <n>', 'image height', positiveInt, 48)
    .option('--width <n>', 'image width (lines are padded to it)', positiveInt, 320)
    .option('--seed <n>', 'seed of the digit draw', seedValue, 1)
    .action((opts) => {
      const lines = mnistTextLines(loadMnist().test, opts.count, opts);
      saveNpyArray(opts.out, lines.data, lines.shape);
      writeFileAtomic(`${opts.out}.txt`, lines.text.join('\n') + '\n');
      process.stdout.write(`wrote ${opts.count} lines [${lines.shape.join(', ')}] to ${opts.out}\n`);
    });
}
