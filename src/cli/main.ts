#!/usr/bin/env node
/**
 * The `weightscope` command. Each subcommand lives in ./commands/<name>.ts and registers itself
 * on the program; errors a user can cause (UserError, bad flags) end as one line and exit 1.
 */
import { Command, CommanderError } from 'commander';
import { UserError } from '../core/errors.js';
import { asUserError, isSystemError } from '../core/io.js';
import { isOutOfMemory, lastMemoryEstimate, outOfMemoryError } from '../core/bounds.js';
import { registerCommands } from './commands/index.js';
import { WEIGHTSCOPE_VERSION } from '../core/run-folder.js';

/** The `weightscope` program with the command `argv` names registered (every command when it names none). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('weightscope')
    .description('Open up trained neural networks: every dense layer as a signed bipartite network.')
    .version(WEIGHTSCOPE_VERSION)
    // Flag errors as one line like every other error: the help hint on the same line, not a second one.
    .configureOutput({ outputError: (str, write) => write(`weightscope: ${str.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')} (run with --help for usage)\n`) })
    .exitOverride();
  await registerCommands(program, argv);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its one-line message (or the help/version text)
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    // A filesystem error no reader turned into a UserError is still the user's path, not a bug; memory
    // the machine refused is one line naming the step that asked for it, not a RangeError.
    const estimate = lastMemoryEstimate();
    const userError = isSystemError(err) ? asUserError(err) : isOutOfMemory(err) ? outOfMemoryError(estimate?.step ?? 'this step', estimate?.bytes ?? null, err) : err;
    if (userError instanceof UserError) {
      process.stderr.write(`weightscope: ${userError.message.split('\n')[0]}\n`);
      return 1;
    }
    throw err;
  }
}

// A reader that stops early (`weightscope layers M | head -1`) closes stdout: end quietly, as a
// Unix filter does, instead of an unhandled EPIPE stack trace. Files are written atomically, so
// none is left half-written.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`weightscope: internal error (a bug, please report it):\n${err?.stack ?? err}\n`);
    process.exitCode = 70;
  },
);
