/**
 * Which Chromium the viewer's browser tests drive, in this order:
 *   1. WEIGHTSCOPE_CHROMIUM (an executable path) when set;
 *   2. Debian's /usr/bin/chromium when present;
 *   3. the headless Chromium shipped inside the `@sparticuz/chromium` dev dependency, so that
 *      `npm install && npm test` passes on a machine with Node only (playwright-core cannot
 *      download browsers without network beyond the npm registry).
 * The package's binary is brotli-compressed; it is unpacked once per package version into
 * <tmpdir>/weightscope-chromium-<version>/ (staged in a private folder, then renamed, so that
 * concurrent test runs never see a half-written binary).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export interface ChromiumChoice {
  executablePath: string;
  /** Extra flags this binary needs for headless WebGL2. */
  args: string[];
  /** Where it came from, for the test log. */
  source: string;
}

/** Flags every choice gets: no sandbox (tests run as root in CI), nothing phoning home. */
const COMMON_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumChoice> {
  const override = env.WEIGHTSCOPE_CHROMIUM;
  if (override !== undefined && override !== '') {
    if (!existsSync(override)) throw new Error(`WEIGHTSCOPE_CHROMIUM=${override}: no such file`);
    return { executablePath: override, args: [...COMMON_ARGS, '--disable-gpu'], source: `WEIGHTSCOPE_CHROMIUM (${override})` };
  }
  if (existsSync(DEBIAN_CHROMIUM)) {
    return { executablePath: DEBIAN_CHROMIUM, args: [...COMMON_ARGS, '--disable-gpu'], source: `system Chromium (${DEBIAN_CHROMIUM})` };
  }
  return unpackPackagedChromium();
}

async function unpackPackagedChromium(): Promise<ChromiumChoice> {
  const require = createRequire(import.meta.url);
  let packageRoot: string;
  try {
    // The package exports no ./package.json: its entry point is build/{esm,cjs}/index.*.
    packageRoot = join(dirname(require.resolve('@sparticuz/chromium')), '..', '..');
  } catch {
    throw new Error(`no Chromium found: ${DEBIAN_CHROMIUM} is absent and the dev dependency @sparticuz/chromium is not installed (run npm install, or set WEIGHTSCOPE_CHROMIUM)`);
  }
  const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const { default: Packaged } = await import('@sparticuz/chromium');
  // WebGL through SwiftShader (software), which the package ships beside the binary.
  const args = [...COMMON_ARGS, '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--no-zygote'];
  const target = join(tmpdir(), `weightscope-chromium-${version}`);
  const binary = join(target, 'chromium');
  if (existsSync(binary)) return { executablePath: binary, args, source: `@sparticuz/chromium ${version} (${binary})` };

  const staging = `${target}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  // The package unpacks into os.tmpdir(), which reads TMPDIR on every call: point it at the
  // staging folder for the duration of the unpacking.
  const savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = staging;
  try {
    await Packaged.executablePath(join(packageRoot, 'bin'));
  } finally {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
  }
  try {
    renameSync(staging, target);
  } catch (e) {
    // Another run finished unpacking first: use its copy.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(binary)) throw e;
  }
  return { executablePath: binary, args, source: `@sparticuz/chromium ${version} (${binary})` };
}
