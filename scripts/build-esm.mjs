// The ESM half of every package's dual build. `tsc -b` has already written the CommonJS build
// and its declarations to dist/; this bundles each package's src/index.ts into dist/index.mjs
// (dependencies stay imports) and writes dist/index.d.mts, the same declarations for `import`.
// A bundle because the sources use extensionless relative imports, which Node's ESM loader
// does not resolve; esbuild does the whole workspace in well under a second.
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

await Promise.all(
  packages.map(async (dir) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    await build({
      entryPoints: [join(dir, 'src', 'index.ts')],
      outfile: join(dir, 'dist', 'index.mjs'),
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
    writeFileSync(
      join(dir, 'dist', 'index.d.mts'),
      `// Declarations of ${pkg.name} for \`import\`: the same API as the CommonJS build's.\nexport * from './index.js';\n`,
    );
  }),
);
