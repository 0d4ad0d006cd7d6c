/** Test helper: the model index a `weightscope view TARGET` child process serves, read once. */
import { spawn } from 'node:child_process';

export interface ServedIndex {
  models: { task: string; layers: { name: string; shape: number[] }[] }[];
}

/** Start the viewer on a free port, read /api/index.json, stop it with Ctrl-C and wait for it to exit. */
export async function viewerIndex(cli: string, target: string, cwd: string): Promise<ServedIndex> {
  const child = spawn(process.execPath, [cli, 'view', target, '--no-open', '--port', '0'], { cwd });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /(http:\/\/[^\s]+)/.exec(text);
      if (m) resolve(m[1]);
    });
    child.on('exit', () => reject(new Error(`viewer exited: ${text}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    return (await (await fetch(new URL('/api/index.json', url))).json()) as ServedIndex;
  } finally {
    child.kill('SIGINT');
    await exited;
  }
}
