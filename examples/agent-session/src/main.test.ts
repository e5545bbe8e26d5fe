// The main job as a user runs it: the built example, twice on one directory.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const main = join(__dirname, '..', 'dist', 'main.js');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perftrack-example-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test('prints the report, persists to the directory, and a second run accumulates history', async () => {
  const first = await run(process.execPath, [main, '--dir', dir, '--sessions', '2', '--tasks', '2', '--seed', '7']);
  expect(first.stdout).toContain('run 1, 2 sessions x 2 tasks, seed 7');
  expect(first.stdout).toMatch(/All sessions \(2\)/);
  expect(first.stdout).toMatch(/tool\s+calls\s+failed\s+error rate\s+mean ms\s+p50\s+p95\s+p99\s+mem peak\s+in\s+out/);
  for (const section of ['Top sequences (longest form of each):', 'Next-tool predictions:', 'History:', 'Data written'])
    expect(first.stdout).toContain(section);
  expect(first.stdout).toContain(join(dir, 'metrics'));
  const files = await readdir(join(dir, 'metrics'));
  expect(files).toHaveLength(2);
  for (const f of files) expect((await stat(join(dir, 'metrics', f))).mode & 0o777).toBe(0o600);

  const second = await run(process.execPath, [main, '--dir', dir, '--sessions', '2', '--tasks', '2', '--seed', '7']);
  expect(second.stdout).toContain('run 2,');
  expect(second.stdout).toMatch(/history: 2 sessions, \d+ calls/);
  expect(second.stdout).toMatch(/All sessions \(4\)/);
  expect(await readdir(join(dir, 'metrics'))).toHaveLength(4);
});

test('bad arguments are one clear line and a non-zero exit', async () => {
  const failed = await run(process.execPath, [main, '--sessions', 'many']).catch((e: { code: number; stderr: string }) => e);
  expect((failed as { code: number }).code).toBe(1);
  expect((failed as { stderr: string }).stderr).toContain('--sessions must be an integer >= 1, got many');
});
