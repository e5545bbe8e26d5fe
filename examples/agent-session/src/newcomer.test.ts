// A newcomer's first minutes: `pnpm start`, then `perftrack …` in the same directory, and
// either piped into `head`.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const main = join(__dirname, '..', 'dist', 'main.js');
const perftrack = join(__dirname, '..', '..', '..', 'packages', 'cli', 'bin', 'perftrack.js');

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'perftrack-newcomer-'));
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

/**
 * Runs `node args…` in `cwd` without PERFTRACK_DIR; with `head`, piped into `head -n 2` by bash
 * with pipefail, so the status is node's.
 */
function node(args: string[], head = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.PERFTRACK_DIR;
  const quoted = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const [command, argv] = head ? ['bash', ['-c', `set -o pipefail; ${quoted} | head -n 2`]] : [process.execPath, args];
  return new Promise((resolve) => {
    const child = spawn(command as string, argv as string[], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the example and the CLI share one default directory: `perftrack sessions` right after the example lists its sessions', async () => {
  const run = await node([main, '--sessions', '2', '--tasks', '1']);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`storage: ${join(cwd, '.perftrack')}`);
  const sessions = await node([perftrack, 'sessions']);
  expect({ code: sessions.code, stderr: sessions.stderr }).toEqual({ code: 0, stderr: '' });
  expect(sessions.stdout.match(/ses_/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
});

test('piped into a reader that stops early (`pnpm start | head`), the example ends quietly with status 0 and still writes its data', async () => {
  const before = (await readdir(join(cwd, '.perftrack', 'metrics'))).length;
  const run = await node([main, '--sessions', '1', '--tasks', '1'], true);
  expect({ code: run.code, stderr: run.stderr, lines: run.stdout.split('\n').length }).toEqual({ code: 0, stderr: '', lines: 3 });
  expect((await readdir(join(cwd, '.perftrack', 'metrics'))).length).toBe(before + 1);
});

test('so does the CLI (`perftrack report | head`)', async () => {
  const run = await node([perftrack, 'report'], true);
  expect({ code: run.code, stderr: run.stderr, lines: run.stdout.split('\n').length }).toEqual({ code: 0, stderr: '', lines: 3 });
});
