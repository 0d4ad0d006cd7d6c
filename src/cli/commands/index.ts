import type { Command } from 'commander';
import { registerReproduce } from './reproduce.js';
import { registerTrain } from './train.js';
import { registerProbe } from './probe.js';

/** Every subcommand registers itself here (one line each). */
export function registerCommands(program: Command): void {
  registerReproduce(program);
  registerTrain(program);
  registerProbe(program);
}
