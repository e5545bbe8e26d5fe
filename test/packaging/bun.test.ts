import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot, run } from './pack';

// The built packages under a real Bun: the one inside the opencode binary (a compiled Bun
// executable, which runs as the `bun` CLI with BUN_BE_BUN=1), the runtime the opencode plugin
// runs in. Bun's heap statistics stand still, so trackMemory must say so, once, and leave
// memoryUsed out instead of recording 0.

const opencodeBin = join(
  dirname(require.resolve('opencode-ai/package.json', { paths: [join(repoRoot, 'packages', 'opencode')] })),
  'bin',
  'opencode.exe',
);

test('under Bun, trackMemory warns once and records no memoryUsed (never a silent 0); everything else is recorded', async () => {
  expect(existsSync(opencodeBin)).toBe(true);
  const dir = mkdtempSync(join(tmpdir(), 'perftrack-bun-'));
  try {
    const script = join(dir, 'track.cjs');
    writeFileSync(
      script,
      `const { MetricsCollector, trackPerformance } = require(${JSON.stringify(join(repoRoot, 'packages', 'core', 'dist', 'index.js'))});
const warnings = [];
const collector = new MetricsCollector({ trackMemory: true, onWarning: (m) => warnings.push(m) });
const build = trackPerformance({ toolId: 'build', trackMemory: true, collector })(() => Array.from({ length: 5000 }, (_, i) => ({ i })));
for (let i = 0; i < 3; i++) build();
const id = collector.startToolExecution('manual', 'ses_1');
collector.completeToolExecution(id, true, 'ok');
const records = collector.getMetrics();
console.log(JSON.stringify({ bun: typeof Bun !== 'undefined', tools: records.map((r) => r.toolId), withMemory: records.filter((r) => 'memoryUsed' in r && r.memoryUsed !== undefined).length, warnings }));
`,
    );
    const { stdout } = await run(opencodeBin, ['run', script], { env: { ...process.env, BUN_BE_BUN: '1' }, cwd: dir });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
      bun: boolean;
      tools: string[];
      withMemory: number;
      warnings: string[];
    };
    expect(result).toMatchObject({ bun: true, tools: ['build', 'build', 'build', 'manual'], withMemory: 0 });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(
      /^trackMemory: the heap size does not move in this runtime \(Bun \d+\.\d+\.\d+\); records leave memoryUsed out/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('under Node the same script records memoryUsed and warns about nothing', async () => {
  const { stdout } = await run(process.execPath, [
    '-e',
    `const { MetricsCollector, trackPerformance } = require(${JSON.stringify(join(repoRoot, 'packages', 'core', 'dist', 'index.js'))});
const warnings = [];
const collector = new MetricsCollector({ trackMemory: true, onWarning: (m) => warnings.push(m) });
const build = trackPerformance({ toolId: 'build', trackMemory: true, collector })(() => Array.from({ length: 5000 }, (_, i) => ({ i })));
for (let i = 0; i < 3; i++) build();
console.log(JSON.stringify({ withMemory: collector.getMetrics().filter((r) => typeof r.memoryUsed === 'number').length, warnings }));`,
  ]);
  expect(JSON.parse(stdout)).toEqual({ withMemory: 3, warnings: [] });
});
