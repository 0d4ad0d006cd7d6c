/** How a study run shows its progress; the CLI draws it (cli/progress.ts), an API caller may pass its own. */

/** A progress stage: a bar on a terminal, a few lines in a log. */
export interface Stage {
  update(done: number, total?: number): void;
  stop(): void;
}

/** Where a run shows its progress and its lines for the user. */
export interface Progress {
  stage(name: string, total: number, unit?: string): Stage;
  log(line: string): void;
}

/** No output at all. */
export const QUIET: Progress = { stage: () => ({ update() {}, stop() {} }), log() {} };
