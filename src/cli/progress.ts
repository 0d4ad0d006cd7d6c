/**
 * Progress for long runs: a cli-progress bar per stage (with ETA) on a terminal, plain
 * occasional lines otherwise (CI logs, pipes), nothing with --quiet. Always on stderr, so
 * stdout stays clean for data.
 */
import cliProgress from 'cli-progress';
import { QUIET, type Progress, type Stage } from '../study/progress.js';

export type { Progress, Stage };

export function createProgress(options: { quiet?: boolean; tty?: boolean } = {}): Progress {
  const tty = options.tty ?? Boolean(process.stderr.isTTY);
  if (options.quiet) return QUIET;
  if (!tty) {
    return {
      log: (m) => process.stderr.write(`${m}\n`),
      stage(name, total, unit = '') {
        const start = Date.now();
        let lastPrinted = -1;
        process.stderr.write(`${name}: 0/${total} ${unit}\n`);
        return {
          update(done, newTotal) {
            if (newTotal !== undefined) total = newTotal;
            // a line per 25% keeps CI logs short
            const quarter = total ? Math.floor((4 * done) / total) : 4;
            if (quarter > lastPrinted && done < total) {
              lastPrinted = quarter;
              if (quarter > 0) process.stderr.write(`${name}: ${done}/${total} ${unit}\n`);
            }
          },
          stop() {
            process.stderr.write(`${name}: done (${((Date.now() - start) / 1000).toFixed(1)} s)\n`);
          },
        };
      },
    };
  }
  return {
    log: (m) => process.stderr.write(`${m}\n`),
    stage(name, total, unit = '') {
      const bar = new cliProgress.SingleBar(
        {
          format: `${name.padEnd(28)} {bar} {value}/{total} ${unit} | {percentage}% | ETA {eta_formatted}`,
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      return {
        update(done, newTotal) {
          if (newTotal !== undefined) bar.setTotal(newTotal);
          bar.update(done);
        },
        stop() {
          bar.stop();
        },
      };
    },
  };
}
