// The ESM half of every package's dual build. `tsc -b` has already written the CommonJS build
// and its declarations to dist/; this bundles each package's entries (src/index.ts and
// any other subpath of its `exports` map, e.g. core's ./internal) into dist/*.mjs (dependencies
// stay imports) and writes the matching *.d.mts, the same declarations for `import`.
// A bundle because the sources use extensionless relative imports, which Node's ESM loader
// does not resolve; esbuild does the whole workspace in well under a second.
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `--root DIR` builds another checkout's packages (tests build variants of core in a temp copy).
const args = process.argv.slice(2);
const rootAt = args.indexOf('--root');
const root = rootAt >= 0 ? args.splice(rootAt, 2)[1] : join(dirname(fileURLToPath(import.meta.url)), '..');
const only = args;
const packages = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .filter((dir) => existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'index.ts')))
  .filter((dir) => only.length === 0 || only.some((o) => join(root, o) === dir || o === dir));

// Code that reads files next to itself (`require.resolve`, `__dirname`) keeps working in ESM.
const banner = [
  "import { createRequire as __perftrackCreateRequire } from 'node:module';",
  "import { fileURLToPath as __perftrackFileURLToPath } from 'node:url';",
  'const require = __perftrackCreateRequire(import.meta.url);',
  'const __filename = __perftrackFileURLToPath(import.meta.url);',
  "const __dirname = __perftrackFileURLToPath(new URL('.', import.meta.url));",
].join('\n');

/**
 * The ESM entries of a package, from its `exports` map: `./dist/X.mjs` is built from `src/X.ts`
 * (`.` and, for core, `./internal`). Several entries share code through chunks in dist/chunks/,
 * so a class is defined once however many entries import it.
 */
function esmEntries(dir, pkg) {
  const entries = {};
  for (const target of Object.values(pkg.exports ?? {})) {
    const file = typeof target === 'object' && target !== null ? target.import?.default : undefined;
    const match = typeof file === 'string' ? /^\.\/dist\/(.+)\.mjs$/.exec(file) : null;
    if (match !== null) entries[match[1]] = join(dir, 'src', `${match[1]}.ts`);
  }
  if (Object.keys(entries).length === 0) entries.index = join(dir, 'src', 'index.ts');
  return entries;
}

await Promise.all(
  packages.map(async (dir) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const entries = esmEntries(dir, pkg);
    const split = Object.keys(entries).length > 1;
    // chunk names carry a content hash: drop the previous build's, or they would ship too
    rmSync(join(dir, 'dist', 'chunks'), { recursive: true, force: true });
    await build({
      entryPoints: entries,
      outdir: join(dir, 'dist'),
      outExtension: { '.js': '.mjs' },
      splitting: split,
      chunkNames: 'chunks/[name]-[hash]',
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: true,
      sourcesContent: true,
      keepNames: true,
      banner: { js: banner },
      logLevel: 'warning',
      tsconfig: join(dir, 'tsconfig.json'),
    });
    for (const entry of Object.keys(entries)) {
      writeFileSync(
        join(dir, 'dist', `${entry}.d.mts`),
        `// Declarations of ${pkg.name}${entry === 'index' ? '' : `/${entry.replace(/\/index$/, '')}`} for \`import\`: the same API as the CommonJS build's.\nexport * from './index.js';\n`,
      );
    }
  }),
);
