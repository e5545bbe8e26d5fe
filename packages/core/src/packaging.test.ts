import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Runs against the build (`pnpm test` builds first), as a user of the published package would.
const repoRoot = join(__dirname, '..', '..', '..');
const dist = join(repoRoot, 'packages', 'core', 'dist');

describe('the built package', () => {
  test('ships JavaScript and type declarations in dist/', () => {
    expect(existsSync(join(dist, 'index.js'))).toBe(true);
    expect(existsSync(join(dist, 'index.d.ts'))).toBe(true);
  });

  test('loads by name with require() and with import, exposing the same API', () => {
    const names = [
      'trackPerformance',
      'wrapTools',
      'MetricsCollector',
      'SessionContext',
      'FakeClock',
      'InMemorySubscriber',
      'createSeededRandom',
    ];
    const cjs = execFileSync(
      process.execPath,
      ['-e', `const m = require('@perftrack/core'); console.log(${JSON.stringify(names)}.map((n) => typeof m[n]).join(','))`],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    const esm = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import * as m from '@perftrack/core'; import { trackPerformance } from '@perftrack/core'; console.log(${JSON.stringify(names)}.map((n) => typeof m[n]).join(','), typeof trackPerformance)`,
      ],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(cjs.trim()).toBe(names.map(() => 'function').join(','));
    expect(esm.trim()).toBe(`${names.map(() => 'function').join(',')} function`);
  });

  test('every workspace package builds to dist/ with typings and loads by name via require and import', () => {
    const packagesDir = join(repoRoot, 'packages');
    const names = readdirSync(packagesDir)
      .filter((d) => existsSync(join(packagesDir, d, 'package.json')))
      .map((d) => (JSON.parse(readFileSync(join(packagesDir, d, 'package.json'), 'utf8')) as { name: string }).name);
    expect(names).toEqual(expect.arrayContaining(['@perftrack/core', '@perftrack/storage']));
    for (const name of names) {
      const dir = join(packagesDir, name.replace('@perftrack/', ''));
      expect(existsSync(join(dir, 'dist', 'index.d.ts'))).toBe(true);
      const cjs = execFileSync(process.execPath, ['-e', `console.log(Object.keys(require(${JSON.stringify(name)})).sort().join(','))`], {
        cwd: repoRoot,
        encoding: 'utf8',
      }).trim();
      // import of CommonJS also exposes `default`, `__esModule` and, on newer Node, 'module.exports'.
      const esm = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(name)}); console.log(Object.keys(m).filter((k) => k !== 'default' && k !== 'module.exports' && k !== '__esModule').sort().join(','))`,
        ],
        { cwd: repoRoot, encoding: 'utf8' },
      ).trim();
      expect(cjs).not.toBe('');
      expect(esm).toBe(cjs);
    }
  });

  test('internal methods are not part of the published typings', () => {
    const dts = execFileSync(
      process.execPath,
      [
        '-e',
        `process.stdout.write(require('fs').readFileSync(${JSON.stringify(join(dist, 'collector', 'metrics-collector.d.ts'))}, 'utf8'))`,
      ],
      { encoding: 'utf8' },
    );
    expect(dts).not.toMatch(/_record|_now\(/);
    expect(dts).toContain('startToolExecution');
  });

  test('the kit of our own packages loads from @perftrack/core/internal (require and import), not from the entry', () => {
    const kit = [
      'BatchQueue',
      'Diagnostics',
      'checkOptionKeys',
      'installExitHooks',
      'SizeEstimator',
      'weightedRepeats',
      'sharedDefault',
      'errorMessage',
    ];
    const probe = `${JSON.stringify(kit)}.map((n) => typeof internal[n] + '/' + typeof entry[n]).join(',')`;
    const cjs = execFileSync(
      process.execPath,
      [
        '-e',
        `const internal = require('@perftrack/core/internal'); const entry = require('@perftrack/core'); console.log(${probe}, internal.VERSION)`,
      ],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    const esm = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import * as internal from '@perftrack/core/internal'; import * as entry from '@perftrack/core'; console.log(${probe}, internal.VERSION)`,
      ],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    const expected = `${kit.map(() => 'function/undefined').join(',')} ${JSON.parse(readFileSync(join(repoRoot, 'packages', 'core', 'package.json'), 'utf8')).version}`;
    expect(cjs.trim()).toBe(expected);
    expect(esm.trim()).toBe(expected);
  });

  test('the ESM entries share one copy of each class: the kit is defined once, in a chunk both import', () => {
    const files = [
      join(dist, 'index.mjs'),
      join(dist, 'internal', 'index.mjs'),
      ...readdirSync(join(dist, 'chunks'))
        .filter((f) => f.endsWith('.mjs'))
        .map((f) => join(dist, 'chunks', f)),
    ];
    const defining = files.filter((f) => /\bvar Diagnostics = class\b|\bclass Diagnostics\b/.test(readFileSync(f, 'utf8')));
    expect(defining).toHaveLength(1);
    expect(defining[0]).toContain(join(dist, 'chunks'));
  });
});
