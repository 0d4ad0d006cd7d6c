/**
 * Run a `weightscope` command in this process, exactly as the binary parses it, and capture what
 * it prints. Only text is captured: the test runner reports to its parent through this process's
 * stdout in binary frames, which must go through (a test may end while another's command runs).
 */
import { Command } from 'commander';
import { registerCommands } from '../../src/cli/commands/index.js';

export async function runInProcess(args: string[]): Promise<string> {
  const program = new Command('weightscope').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  await registerCommands(program, args);
  let out = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== 'string') return write.call(process.stdout, chunk, ...rest);
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  return out;
}
