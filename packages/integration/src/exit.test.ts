// flushOnExit with real processes, against the built package (as a user's script would run it).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceStorage } from '@perftrack/integration';

const repoRoot = join(__dirname, '..', '..', '..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function child(script: string, dir: string, onReady?: (kill: (s: NodeJS.Signals) => void) => void) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const p = spawn(process.execPath, ['-e', script], {
      cwd: repoRoot,
      env: { ...process.env, DIR: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (chunk: string) => {
      if (chunk.includes('ready')) onReady?.((s) => p.kill(s));
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

const calls = `
  const { PerformanceIntegration } = require('@perftrack/integration');
  (async () => {
    await PerformanceIntegration.initialize({ storageDir: process.env.DIR });
    const [tool] = PerformanceIntegration.wrapTools([{ id: 'bash', execute: async (args) => args.n }]);
    for (let n = 0; n < 777; n++) await tool.execute({ n }, { sessionID: 'exit-' + (n % 3) });
    READY
  })();
`;

test('a script that ends without shutdown() still stores every call and its session reports (beforeExit)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perftrack-exit-'));
  dirs.push(dir);
  const result = await child(calls.replace('READY', ''), dir);
  expect(result.code).toBe(0);
  const storage = new PerformanceStorage({ dir });
  let total = 0;
  for (let s = 0; s < 3; s++) total += (await storage.loadMetrics(`exit-${s}`)).length;
  expect(total).toBe(777);
  expect(readdirSync(join(dir, 'analytics')).sort()).toEqual(['exit-0.json', 'exit-1.json', 'exit-2.json']);
}, 30_000);

test('SIGTERM saves everything and the process still ends by the signal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perftrack-exit-'));
  dirs.push(dir);
  const result = await child(calls.replace('READY', "console.log('ready'); setInterval(() => {}, 1000);"), dir, (kill) => kill('SIGTERM'));
  expect(result.signal).toBe('SIGTERM');
  expect((await new PerformanceStorage({ dir }).loadMetrics('exit-1')).length).toBe(259);
  expect(readdirSync(join(dir, 'analytics'))).toHaveLength(3);
}, 30_000);

test('process.exit() right after the calls stores every one: the pipeline delivers to storage before its exit write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perftrack-exit-'));
  dirs.push(dir);
  const result = await child(calls.replace('READY', 'process.exit(0);'), dir);
  expect(result.code).toBe(0);
  const storage = new PerformanceStorage({ dir });
  let total = 0;
  for (let s = 0; s < 3; s++) total += (await storage.loadMetrics(`exit-${s}`)).length;
  expect(total).toBe(777);
}, 30_000);
