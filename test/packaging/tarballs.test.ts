import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack, publishablePackages, readFromTarball, repoRoot, run, type Packed } from './pack';

// Packs every package as it would be published and checks what a user would download.

/** What a tarball may hold; anything else (build info, tests, sources, stray files) fails. */
const ALLOWED: readonly RegExp[] = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^dist\/(?:[a-z0-9-]+\/)*[a-z0-9-]+\.(?:js|js\.map|d\.ts)$/,
  /^dist\/(?:internal\/)?index\.(?:mjs|mjs\.map|d\.mts)$/,
  /^dist\/chunks\/chunk-[A-Z0-9]+\.(?:mjs|mjs\.map)$/,
];
const ALLOWED_EXTRA: Readonly<Record<string, readonly RegExp[]>> = {
  '@perftrack/cli': [/^bin\/perftrack\.js$/],
  // the `@perftrack/core/internal` subpath for resolvers that ignore `exports` (TypeScript's node10)
  '@perftrack/core': [/^internal\/package\.json$/],
};
const FORBIDDEN = /\.tsbuildinfo$|\.test\.|test-support|__golden__|^src\/|\.d\.ts\.map$/;

const packages = publishablePackages();
let scratch: string;
let packed: Packed[];

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'perftrack-pack-'));
  packed = await Promise.all(packages.map((p) => pack(p, scratch)));
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('every published tarball', () => {
  test('lists the workspace packages', () => {
    expect(packages.map((p) => p.name)).toEqual(
      expect.arrayContaining(['@perftrack/core', '@perftrack/integration', '@perftrack/opencode', '@perftrack/cli']),
    );
  });

  test('holds only allowed files: the build, README, LICENSE, package.json; no build info, tests or sources', () => {
    for (const p of packed) {
      const allowed = [...ALLOWED, ...(ALLOWED_EXTRA[p.name] ?? [])];
      const stray = p.files.filter((f) => FORBIDDEN.test(f) || !allowed.some((re) => re.test(f)));
      expect({ name: p.name, stray }).toEqual({ name: p.name, stray: [] });
      for (const required of [
        'package.json',
        'README.md',
        'LICENSE',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/index.mjs',
        'dist/index.d.mts',
      ]) {
        expect({ name: p.name, has: required, present: p.files.includes(required) }).toEqual({
          name: p.name,
          has: required,
          present: true,
        });
      }
    }
  });

  test('source maps carry their sources (sourcesContent), since src/ is not shipped', () => {
    for (const p of packed) {
      for (const map of p.files.filter((f) => f.endsWith('.map'))) {
        const parsed = JSON.parse(readFromTarball(p.tarball, map)) as { sources: string[]; sourcesContent?: (string | null)[] };
        expect({
          map: `${p.name}/${map}`,
          sources: parsed.sources.length,
          contents: (parsed.sourcesContent ?? []).filter((c) => typeof c === 'string' && c.length > 0).length,
        }).toEqual({
          map: `${p.name}/${map}`,
          sources: parsed.sources.length,
          contents: parsed.sources.length,
        });
      }
    }
  });

  test('package.json: caret ranges between our packages, public access, repository, keywords, MIT, dual exports', () => {
    const versions = new Map(packages.map((p) => [p.name, p.version]));
    for (const p of packed) {
      const manifest = JSON.parse(readFromTarball(p.tarball, 'package.json')) as Record<string, unknown> & {
        dependencies?: Record<string, string>;
        exports: Record<string, unknown>;
        repository: { url: string; directory: string };
      };
      expect(JSON.stringify(manifest)).not.toContain('workspace:');
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
        if (versions.has(dep)) expect(`${dep}@${range}`).toBe(`${dep}@^${versions.get(dep)}`);
      }
      expect(manifest).toMatchObject({
        license: 'MIT',
        type: 'commonjs',
        publishConfig: { access: 'public' },
        engines: { node: '>=20.19' },
      });
      expect(manifest.repository.url).toMatch(/^git\+https:\/\//);
      expect(manifest.repository.directory).toBe(`packages/${p.name.replace('@perftrack/', '')}`);
      expect((manifest.keywords as string[]).length).toBeGreaterThan(2);
      expect(manifest.exports['.']).toEqual({
        import: { types: './dist/index.d.mts', default: './dist/index.mjs' },
        require: { types: './dist/index.d.ts', default: './dist/index.js' },
      });
    }
  });

  test('README says what the package is, how to install it, shows an example and links to the main README; LICENSE is MIT', () => {
    for (const p of packed) {
      const readme = readFromTarball(p.tarball, 'README.md');
      expect(readme.startsWith(`# ${p.name}\n`)).toBe(true);
      expect(readme).toMatch(/## Install\n[\s\S]*(npm install [^\n]*@perftrack\/|"plugin": \["@perftrack\/opencode"\])/);
      expect(readme).toMatch(/## Example\n\n```(ts|bash)\n[\s\S]+?```/);
      expect(readme).toContain('https://github.com/perftrack/perftrack#readme');
      expect(readFromTarball(p.tarball, 'LICENSE')).toMatch(/^MIT License\n/);
    }
  });

  test('publint (strict) finds nothing to fix', async () => {
    const bin = join(repoRoot, 'node_modules', '.bin', 'publint');
    for (const p of packed) {
      const result = await run(bin, ['--strict', '--level', 'suggestion', p.dir], { cwd: p.dir }).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: `${e.stdout}${e.stderr}` }),
      );
      expect({ name: p.name, ...result, out: /All good!|No issues/.test(result.out) ? 'clean' : result.out }).toEqual({
        name: p.name,
        code: 0,
        out: 'clean',
      });
    }
  }, 120_000);

  test('are the types wrong? no: types resolve for require and import under node10, node16 (CJS and ESM) and bundler', async () => {
    const bin = join(repoRoot, 'node_modules', '.bin', 'attw');
    const results: { name: string; code: number; out: string }[] = [];
    const queue = [...packed];
    // two at a time: each run loads TypeScript
    await Promise.all(
      [0, 1].map(async () => {
        for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
          const tarball = p.tarball;
          const name = p.name;
          results.push(
            await run(bin, [tarball, '--format', 'ascii'], { cwd: scratch, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } }).then(
              () => ({ name, code: 0, out: 'ok' }),
              (e: { code: number; stdout: string; stderr: string }) => ({ name, code: e.code, out: `${e.stdout}${e.stderr}` }),
            ),
          );
        }
      }),
    );
    expect(results.filter((r) => r.code !== 0)).toEqual([]);
    expect(results).toHaveLength(packed.length);
  }, 180_000);
});
