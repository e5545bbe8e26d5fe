// Gives every publishable package under packages/ the same publishing metadata (idempotent):
// repository, homepage, bugs, keywords (kept when present), `type`, dual `exports` (ESM and
// CommonJS, each with its types), `files` without build info, public access, and `workspace:^`
// ranges between our packages. Run it after adding a package (`node scripts/package-metadata.mjs`,
// then `pnpm install`); test/packaging/tarballs.test.ts checks the result.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPOSITORY = 'https://github.com/perftrack/perftrack';
const ORDER = [
  'name',
  'version',
  'description',
  'license',
  'keywords',
  'homepage',
  'repository',
  'bugs',
  'type',
  'main',
  'module',
  'types',
  'bin',
  'exports',
  'files',
  'engines',
  'sideEffects',
  'publishConfig',
  'scripts',
  'dependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'devDependencies',
];

for (const dir of readdirSync(join(root, 'packages'))) {
  const file = join(root, 'packages', dir, 'package.json');
  if (!existsSync(file)) continue;
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  if (pkg.private === true) continue;
  pkg.keywords ??= [...dir.split('-'), 'performance', 'ai-agent', 'tools'];
  pkg.homepage = `${REPOSITORY}/tree/main/packages/${dir}#readme`;
  pkg.repository = { type: 'git', url: `git+${REPOSITORY}.git`, directory: `packages/${dir}` };
  pkg.bugs = { url: `${REPOSITORY}/issues` };
  pkg.type = 'commonjs';
  pkg.main = './dist/index.js';
  pkg.module = './dist/index.mjs';
  pkg.types = './dist/index.d.ts';
  pkg.exports = {
    '.': {
      import: { types: './dist/index.d.mts', default: './dist/index.mjs' },
      require: { types: './dist/index.d.ts', default: './dist/index.js' },
    },
    // other subpaths a package declares (core's `./internal`) are kept as they are
    ...Object.fromEntries(Object.entries(pkg.exports ?? {}).filter(([subpath]) => subpath !== '.' && subpath !== './package.json')),
    './package.json': './package.json',
  };
  pkg.files = [
    ...(pkg.bin ? ['dist', 'bin'] : ['dist']),
    ...(existsSync(join(root, 'packages', dir, 'internal', 'package.json')) ? ['internal'] : []),
    '!dist/.tsbuildinfo',
  ];
  pkg.publishConfig = { access: 'public' };
  for (const field of ['dependencies', 'devDependencies']) {
    for (const [name, range] of Object.entries(pkg[field] ?? {})) if (range === 'workspace:*') pkg[field][name] = 'workspace:^';
  }
  const sorted = {};
  for (const key of ORDER) if (key in pkg) sorted[key] = pkg[key];
  for (const key of Object.keys(pkg)) if (!(key in sorted)) sorted[key] = pkg[key];
  writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
}
