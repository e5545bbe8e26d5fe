import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; private?: boolean } }))
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
  const { stdout } = await run('pnpm', ['pack', '--pack-destination', destination, '--json'], { cwd: pkg.dir, maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { filename: string; files: { path: string }[] };
  return { ...pkg, tarball: result.filename, files: result.files.map((f) => f.path).sort() };
}

/** The text of `path` inside `tarball` (paths as packed, under `package/`). */
export function readFromTarball(tarball: string, path: string): string {
  return execFileSync('tar', ['-xOzf', tarball, `package/${path}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}
