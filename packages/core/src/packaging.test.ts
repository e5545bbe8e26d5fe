import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
    const names = ['trackPerformance', 'wrapTools', 'MetricsCollector', 'SessionContext', 'FakeClock', 'InMemorySubscriber', 'createSeededRandom'];
    const cjs = execFileSync(process.execPath, ['-e', `const m = require('@perftrack/core'); console.log(${JSON.stringify(names)}.map((n) => typeof m[n]).join(','))`], { cwd: repoRoot, encoding: 'utf8' });
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', `import * as m from '@perftrack/core'; import { trackPerformance } from '@perftrack/core'; console.log(${JSON.stringify(names)}.map((n) => typeof m[n]).join(','), typeof trackPerformance)`], { cwd: repoRoot, encoding: 'utf8' });
    expect(cjs.trim()).toBe(names.map(() => 'function').join(','));
    expect(esm.trim()).toBe(`${names.map(() => 'function').join(',')} function`);
  });

  test('internal methods are not part of the published typings', () => {
    const dts = execFileSync(process.execPath, ['-e', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(join(dist, 'metrics-collector.d.ts'))}, 'utf8'))`], { encoding: 'utf8' });
    expect(dts).not.toMatch(/_record|_now\(/);
    expect(dts).toContain('startToolExecution');
  });
});
