import type { Command } from 'commander';
import { checkMemory } from '../../core/bounds.js';
import { writeFileAtomic, writeFileSet } from '../../core/io.js';
import { loadMnist, mnistTextLines } from '../../data/index.js';

import { saveNpyArray } from '../../model/files.js';
import { boundedInt, outputFile, seedValue } from '../options.js';

/** `weightscope text-lines`: MNIST digits composed into text-line images, inputs for OCR models such as PP-OCR recognition. */
export function registerTextLines(program: Command): void {
  program
    .command('text-lines')
    .description('compose MNIST test digits into text-line images [N, 3, 48, 320] normalised as PaddleOCR does, as a .npy of inputs for probing OCR models')
    .requiredOption('--out <file>', 'the .npy to write; the digits of each line go to <file>.txt', outputFile)
    .option('--count <n>', 'number of lines', boundedInt('count'), 16)
    .option('--digits <n>', 'digits per line', boundedInt('digits'), 6)
    .option('--height <n>', 'image height', boundedInt('height'), 48)
    .option('--width <n>', 'image width (lines are padded to it)', boundedInt('width'), 320)
    .option('--seed <n>', 'seed of the digit draw', seedValue, 1)
    .action((opts) => {
      // the float32 images, and their .npy encoding beside them
      checkMemory(`text-lines --count ${opts.count} --height ${opts.height} --width ${opts.width}`, 2 * opts.count * 3 * opts.height * opts.width * 4);
      const lines = mnistTextLines(loadMnist().test, opts.count, opts);
      // The .npy and its .txt belong together: killed between the two, the set is marked incomplete.
      writeFileSet(`${opts.out}.INCOMPLETE`, [opts.out, `${opts.out}.txt`], () => {
        saveNpyArray(opts.out, lines.data, lines.shape);
        writeFileAtomic(`${opts.out}.txt`, lines.text.join('\n') + '\n');
      });
      process.stdout.write(`wrote ${opts.count} lines [${lines.shape.join(', ')}] to ${opts.out}\n`);
    });
}
