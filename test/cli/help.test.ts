/**
 * Help that tells the truth: every command's `--help` and the README's command list agree with
 * what the code accepts. The commands are registered exactly as `weightscope` registers them; the
 * formats a MODEL may be come from the format registry, each opened for real by
 * test/formats/door.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, type Option } from 'commander';
import { COMMAND_NAMES, registerCommands } from '../../src/cli/commands/index.js';
import { capabilityTable, FORMATS } from '../../src/formats/registry.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

async function program(): Promise<Command> {
  const p = new Command('weightscope');
  await registerCommands(p);
  return p;
}

/** `weightscope CMD --help` as a user sees it, whitespace collapsed. */
function help(cmd: string): string {
  const r = spawnSync(process.execPath, [cli, cmd, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/\s+/g, ' ');
}

const flags = (cmd: Command): string[] => cmd.options.flatMap((o: Option) => [o.long, o.short].filter((f): f is string => !!f));

test('every command that reads a MODEL lists, in its --help, every format the registry reads', async () => {
  const withModel = (await program()).commands.filter((c) => c.registeredArguments.some((a) => a.name() === 'model' || a.name() === 'target'));
  assert.deepEqual(withModel.map((c) => c.name()).sort(), ['export', 'layers', 'percolate', 'probe', 'randomize', 'stats', 'view']);
  for (const c of withModel) {
    const text = help(c.name());
    for (const f of FORMATS) assert.ok(text.includes(f.label), `${c.name()} --help does not list ${f.label}: ${text}`);
  }
});

test('--conv and --layer: every command that reads a MODEL takes both (probe sees convolutions unfolded), and each --seed defaults to 1', async () => {
  for (const c of (await program()).commands) {
    const has = flags(c);
    if (['export', 'layers', 'percolate', 'randomize', 'stats', 'view'].includes(c.name())) {
      assert.ok(has.includes('--conv') && has.includes('--layer'), `${c.name()}: ${has.join(' ')}`);
    }
    const seed = c.options.find((o) => o.long === '--seed');
    if (seed) assert.equal(seed.defaultValue, 1, `${c.name()} --seed defaults to ${seed.defaultValue}`);
  }
  assert.ok(flags((await program()).commands.find((c) => c.name() === 'probe')!).includes('--layer'));
});

test('no option states its default twice (in its text and as commander\'s "(default: …)")', async () => {
  for (const c of (await program()).commands) {
    for (const o of c.options) {
      if (o.defaultValue === undefined) continue;
      assert.ok(!/\bdefault\b/i.test(o.description), `${c.name()} ${o.long}: "${o.description}" and (default: ${JSON.stringify(o.defaultValue)})`);
    }
  }
});

/** The README's command list: each `npx weightscope CMD …` line with its continuation lines, comments cut. */
function readmeCommands(): { cmd: string; flags: string[]; line: string }[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /## The command\s+```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a "## The command" block');
  const out: { cmd: string; flags: string[]; line: string }[] = [];
  for (const raw of block[1].split('\n')) {
    const line = raw.replace(/\s#\s.*$/, '');
    const m = /^npx weightscope\s+(\S+)(.*)$/.exec(line);
    if (m) out.push({ cmd: m[1], flags: [], line });
    else if (!/^\s/.test(line) && line.trim()) assert.fail(`README command list: a line that is not a command: ${line}`);
    const entry = out[out.length - 1];
    for (const f of line.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*)/g)) entry.flags.push(f[1]);
  }
  return out;
}

test('the README lists every command, and every flag it shows is one the command takes', async () => {
  const listed = readmeCommands();
  assert.deepEqual([...new Set(listed.map((l) => l.cmd))].sort(), [...COMMAND_NAMES].sort());
  const commands = new Map((await program()).commands.map((c) => [c.name(), c]));
  for (const { cmd, flags: shown, line } of listed) {
    const takes = flags(commands.get(cmd)!);
    for (const f of shown) assert.ok(takes.includes(f), `README: \`${line.trim()}\`: ${cmd} has no ${f}`);
  }
});

test('docs/formats.md holds the capability table the registry generates', () => {
  const doc = readFileSync(join(root, 'docs', 'formats.md'), 'utf8');
  const table = /<!-- capability table[^>]*-->\n([\s\S]*?)\n<!-- end of capability table -->/.exec(doc);
  assert.ok(table, 'docs/formats.md has the capability table markers');
  assert.equal(table[1], capabilityTable(), 'regenerate it: node -e "import(\'./dist/src/formats/registry.js\').then((m) => console.log(m.capabilityTable()))"');
});
