import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installTarball, pack, packCoreVariant, publishablePackages, repoRoot, run } from './pack';

// Two real copies of @perftrack/core in one node_modules, as npm lays them out after a partial
// upgrade: the application's own copy at the top, another nested under @perftrack/integration.
// The application's decorators record through its copy; the integration initializes through
// the nested one. Copies of compatible versions must share one default collector; an
// incompatible pair must say so, once, naming both versions and paths.

let scratch: string;
const tarballs = new Map<string, string>();

beforeAll(async () => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'perftrack-dup-')));
  const wanted = ['@perftrack/core', '@perftrack/integration', '@perftrack/storage', '@perftrack/analytics'];
  const packed = await Promise.all(
    publishablePackages()
      .filter((p) => wanted.includes(p.name))
      .map((p) => pack(p, scratch)),
  );
  for (const p of packed) tarballs.set(p.name, p.tarball);
  const [compatible, incompatible] = await Promise.all([packCoreVariant('0.1.7', scratch), packCoreVariant('0.2.0', scratch)]);
  tarballs.set('core@0.1.7', compatible);
  tarballs.set('core@0.2.0', incompatible);
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A project whose node_modules has core 0.1.0 at the top and `nested` under the integration. */
function project(name: string, nested: string): string {
  const dir = join(scratch, name);
  const modules = join(dir, 'node_modules');
  installTarball(tarballs.get('@perftrack/core')!, join(modules, '@perftrack', 'core'));
  for (const pkg of ['integration', 'storage', 'analytics'])
    installTarball(tarballs.get(`@perftrack/${pkg}`)!, join(modules, '@perftrack', pkg));
  installTarball(tarballs.get(nested)!, join(modules, '@perftrack', 'integration', 'node_modules', '@perftrack', 'core'));
  // core's own dependencies, from the workspace's install
  for (const dep of ['lru-cache', 'fast-json-stable-stringify']) {
    symlinkSync(realpathSync(join(repoRoot, 'packages', 'core', 'node_modules', dep)), join(modules, dep));
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true }));
  return dir;
}

/** An application: decorates with its own core, initializes the integration, makes 3 calls. */
const APP_CJS = `
const { trackPerformance, MetricsCollector } = require('@perftrack/core');
const { VERSION } = require('@perftrack/core/internal');
const { PerformanceIntegration } = require('@perftrack/integration');
const warnings = [];
process.on('warning', (w) => { if (w.name === 'PerftrackWarning') warnings.push(w.message); });
const read = trackPerformance({ toolId: 'read' })(async (path) => 'contents of ' + path);
(async () => {
  const perf = await PerformanceIntegration.initialize({ storageDir: process.argv[2], saveReports: false, analyticsInterval: 0 });
  for (const p of ['a', 'b', 'c']) await read(p);
  await new Promise((r) => setImmediate(r));
  const nested = require(require.resolve('@perftrack/core', { paths: [require.resolve('@perftrack/integration')] }));
  console.log(JSON.stringify({
    appCore: VERSION, integrationCore: require(require.resolve('@perftrack/core/internal', { paths: [require.resolve('@perftrack/integration')] })).VERSION,
    integrationCalls: perf.collector.getMetrics().length,
    appDefaultCalls: MetricsCollector.getMetrics().length,
    sameDefault: MetricsCollector.default === nested.MetricsCollector.default,
    warnings,
  }));
  await PerformanceIntegration.shutdown();
})();
`;

async function runApp(dir: string, file: string, source: string): Promise<Record<string, unknown>> {
  writeFileSync(join(dir, file), source);
  const store = join(dir, 'store');
  mkdirSync(store, { recursive: true });
  const { stdout } = await run(process.execPath, [join(dir, file), store], { cwd: dir });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

test('a compatible nested copy (0.1.7 under the integration, 0.1.0 at the top) joins the first: the integration records the application’s calls, no warning', async () => {
  const dir = project('compatible', 'core@0.1.7');
  expect(await runApp(dir, 'app.cjs', APP_CJS)).toEqual({
    appCore: '0.1.0',
    integrationCore: '0.1.7',
    integrationCalls: 3,
    appDefaultCalls: 3,
    sameDefault: true,
    warnings: [],
  });
});

test('an incompatible nested copy (0.2.0) warns once, naming both versions and where each was loaded from', async () => {
  const dir = project('incompatible', 'core@0.2.0');
  const result = await runApp(dir, 'app.cjs', APP_CJS);
  expect(result).toMatchObject({ appCore: '0.1.0', integrationCore: '0.2.0', sameDefault: false, appDefaultCalls: 3, integrationCalls: 0 });
  const warnings = result.warnings as string[];
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain(`0.1.0 from ${join(dir, 'node_modules', '@perftrack', 'core')} and `);
  expect(warnings[0]).toContain(
    `0.2.0 from ${join(dir, 'node_modules', '@perftrack', 'integration', 'node_modules', '@perftrack', 'core')}.`,
  );
});

test('the ESM and the CommonJS build of one version in one process share the default collector', async () => {
  const dir = project('dual', 'core@0.1.7');
  rmSync(join(dir, 'node_modules', '@perftrack', 'integration', 'node_modules'), { recursive: true });
  const result = await runApp(
    dir,
    'app.mjs',
    `
import { createRequire } from 'node:module';
import { trackPerformance, MetricsCollector } from '@perftrack/core';
const require = createRequire(import.meta.url);
const cjs = require('@perftrack/core');
const warnings = [];
process.on('warning', (w) => { if (w.name === 'PerftrackWarning') warnings.push(w.message); });
const collector = new cjs.MetricsCollector();
cjs.MetricsCollector.setDefault(collector);
await trackPerformance({ toolId: 'read' })(async () => 1)();
console.log(JSON.stringify({ twoBuilds: cjs.MetricsCollector !== MetricsCollector, calls: collector.getMetrics().length, sameDefault: MetricsCollector.default === collector, accepted: collector instanceof MetricsCollector, warnings }));
`,
  );
  expect(result).toEqual({ twoBuilds: true, calls: 1, sameDefault: true, accepted: true, warnings: [] });
});

test('duplicated analytics, storage and integration copies share their process-wide defaults with the initialized integration', async () => {
  const dir = project('defaults', 'core@0.1.7');
  // a second copy of each, as a second dependant pinning its own would nest them
  const second = join(dir, 'node_modules', 'other-dependant', 'node_modules', '@perftrack');
  for (const pkg of ['integration', 'storage', 'analytics']) installTarball(tarballs.get(`@perftrack/${pkg}`)!, join(second, pkg));
  writeFileSync(
    join(dir, 'node_modules', 'other-dependant', 'package.json'),
    JSON.stringify({ name: 'other-dependant', version: '1.0.0', main: 'index.js' }),
  );
  writeFileSync(
    join(dir, 'node_modules', 'other-dependant', 'index.js'),
    "module.exports = { analytics: require('@perftrack/analytics'), storage: require('@perftrack/storage'), integration: require('@perftrack/integration') };",
  );
  const result = await runApp(
    dir,
    'defaults.cjs',
    `
const { trackPerformance } = require('@perftrack/core');
const { PerformanceIntegration, UsagePatternTracker, SessionPerformance } = require('@perftrack/integration');
const { PerformanceStorage } = require('@perftrack/storage');
const other = require('other-dependant');
const warnings = [];
process.on('warning', (w) => { if (w.name === 'PerftrackWarning') warnings.push(w.message); });
(async () => {
  const perf = await PerformanceIntegration.initialize({ storageDir: process.argv[2], saveReports: false, analyticsInterval: 0 });
  const read = trackPerformance({ toolId: 'read' })((path) => 'contents of ' + path);
  const grep = trackPerformance({ toolId: 'grep' })((p) => p.length);
  for (let i = 0; i < 3; i++) { read('a'); grep('b'); }
  await perf.analytics.flush();
  const again = await other.integration.PerformanceIntegration.initialize();
  console.log(JSON.stringify({
    separateCopies: other.analytics.UsagePatternTracker !== UsagePatternTracker && other.storage.PerformanceStorage !== PerformanceStorage,
    tracker: other.analytics.UsagePatternTracker.default === perf.patterns,
    storage: other.storage.PerformanceStorage.default === perf.storage,
    sessions: other.integration.SessionPerformance.default === perf.sessions,
    integration: other.integration.PerformanceIntegration.current === perf && again === perf,
    predicted: other.analytics.UsagePatternTracker.predictNextTools(['read'], 1).map((p) => p.toolId),
    warnings,
  }));
  await other.integration.PerformanceIntegration.shutdown();
  console.error('after shutdown through the other copy: ' + String(PerformanceIntegration.current));
})();
`,
  );
  expect(result).toEqual({
    separateCopies: true,
    tracker: true,
    storage: true,
    sessions: true,
    integration: true,
    predicted: ['grep'],
    warnings: [],
  });
});
