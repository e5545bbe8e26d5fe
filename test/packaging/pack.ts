import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The repository's root. */
export const repoRoot = join(__dirname, '..', '..');

export const run = promisify(execFile);

/** A publishable package of the workspace. */
export interface WorkspacePackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

/** Every package under packages/ that is not private, in directory order. */
export function publishablePackages(): WorkspacePackage[] {
  const root = join(repoRoot, 'packages');
  return readdirSync(root)
    .map((d) => join(root, d))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({
      dir,
      manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; private?: boolean },
    }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({ name: manifest.name, version: manifest.version, dir }));
}

/** A packed tarball and the files it holds, as `pnpm pack --json` lists them. */
export interface Packed extends WorkspacePackage {
  readonly tarball: string;
  readonly files: string[];
}

/**
 * Packs `pkg` with pnpm, as `pnpm publish` would (workspace ranges rewritten). The build must be
 * current (`pnpm test` builds first).
 */
export async function pack(pkg: WorkspacePackage, destination: string): Promise<Packed> {
  const { stdout } = await run('pnpm', ['pack', '--pack-destination', destination, '--json'], {
    cwd: pkg.dir,
    maxBuffer: 16 * 1024 * 1024,
  });
  const result = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { filename: string; files: { path: string }[] };
  return { ...pkg, tarball: result.filename, files: result.files.map((f) => f.path).sort() };
}

/** The text of `path` inside `tarball` (paths as packed, under `package/`). */
export function readFromTarball(tarball: string, path: string): string {
  return execFileSync('tar', ['-xOzf', tarball, `package/${path}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/**
 * Builds `@perftrack/core` at another `version` in a temporary copy of the workspace (the real
 * build: tsc, then the ESM bundle, with VERSION synced from package.json) and packs it with npm.
 * Returns the tarball's path.
 */
export async function packCoreVariant(version: string, scratch: string): Promise<string> {
  const ws = join(scratch, `ws-${version}`);
  const core = join(ws, 'packages', 'core');
  const source = join(repoRoot, 'packages', 'core');
  mkdirSync(core, { recursive: true });
  for (const file of ['package.json', 'tsconfig.json', 'README.md', 'LICENSE', 'internal/package.json'])
    cpSync(join(source, file), join(core, file), { recursive: true });
  cpSync(join(source, 'src'), join(core, 'src'), { recursive: true });
  cpSync(join(repoRoot, 'tsconfig.base.json'), join(ws, 'tsconfig.base.json'));
  symlinkSync(join(repoRoot, 'node_modules'), join(ws, 'node_modules'));
  symlinkSync(join(source, 'node_modules'), join(core, 'node_modules'));
  const manifest = JSON.parse(readFileSync(join(core, 'package.json'), 'utf8')) as { version: string };
  manifest.version = version;
  writeFileSync(join(core, 'package.json'), JSON.stringify(manifest, null, 2));
  await run(process.execPath, [join(repoRoot, 'scripts', 'sync-version.mjs'), ws]);
  // --noCheck: these sources were type-checked by the workspace's build; this only emits them.
  await run(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', core, '--noCheck']);
  await run(process.execPath, [join(repoRoot, 'scripts', 'build-esm.mjs'), '--root', ws]);
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: core });
  return join(scratch, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
}

/** Unpacks `tarball` as the package at `dir` (what an install puts in node_modules). */
export function installTarball(tarball: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1']);
}
