import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishablePackages, repoRoot, run } from './pack';

// The release flow on a copy of the workspace's manifests: a changeset bumping core's minor
// version bumps its dependants, their ranges, their changelogs and core's VERSION constant.

test('`pnpm run version-packages` bumps a package, its dependants and their ranges, writes changelogs and syncs core’s VERSION', async () => {
  const copy = mkdtempSync(join(tmpdir(), 'perftrack-release-'));
  try {
    for (const file of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(repoRoot, file), join(copy, file));
    cpSync(join(repoRoot, '.changeset', 'config.json'), join(copy, '.changeset', 'config.json'));
    const packages = publishablePackages();
    for (const p of packages) {
      const dir = join(copy, 'packages', p.name.replace('@perftrack/', ''));
      mkdirSync(join(dir, 'src'), { recursive: true });
      cpSync(join(p.dir, 'package.json'), join(dir, 'package.json'));
    }
    mkdirSync(join(copy, 'packages', 'core', 'src', 'internal'), { recursive: true });
    cpSync(
      join(repoRoot, 'packages', 'core', 'src', 'internal', 'version.ts'),
      join(copy, 'packages', 'core', 'src', 'internal', 'version.ts'),
    );
    cpSync(join(repoRoot, 'examples'), join(copy, 'examples'), {
      recursive: true,
      filter: (src) => !src.includes('node_modules') && !src.includes('/dist') && !src.includes('/src'),
    });
    writeFileSync(join(copy, '.changeset', 'core-minor.md'), "---\n'@perftrack/core': minor\n---\n\nA new core option.\n");

    await run(process.execPath, [join(repoRoot, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'], { cwd: copy });
    await run(process.execPath, [join(repoRoot, 'scripts', 'sync-version.mjs'), copy]);

    const manifest = (name: string) =>
      JSON.parse(readFileSync(join(copy, 'packages', name, 'package.json'), 'utf8')) as {
        version: string;
        dependencies?: Record<string, string>;
      };
    const [major, minor] = packages
      .find((p) => p.name === '@perftrack/core')!
      .version.split('.')
      .map(Number) as [number, number];
    const coreNext = `${major}.${minor + 1}.0`;
    expect(manifest('core').version).toBe(coreNext);
    expect(readFileSync(join(copy, 'packages', 'core', 'src', 'internal', 'version.ts'), 'utf8')).toContain(
      `export const VERSION = '${coreNext}';`,
    );
    expect(readFileSync(join(copy, 'packages', 'core', 'CHANGELOG.md'), 'utf8')).toContain('A new core option.');
    // a dependant: patch bump, still a workspace range (pnpm publish turns it into ^coreNext)
    const storageBefore = packages
      .find((p) => p.name === '@perftrack/storage')!
      .version.split('.')
      .map(Number) as [number, number, number];
    expect(manifest('storage').version).toBe(`${storageBefore[0]}.${storageBefore[1]}.${storageBefore[2] + 1}`);
    expect(manifest('storage').dependencies?.['@perftrack/core']).toBe('workspace:^');
    expect(readFileSync(join(copy, 'packages', 'storage', 'CHANGELOG.md'), 'utf8')).toContain(`@perftrack/core@${coreNext}`);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}, 60_000);
