import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './test-support/run-cli';
import { PerformanceStorage } from '@perftrack/storage';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function fixture(): Promise<{ dir: string; log: string }> {
  const root = mkdtempSync(join(tmpdir(), 'perftrack-cli-export-'));
  dirs.push(root);
  const dir = join(root, 'store');
  const storage = new PerformanceStorage({ dir, onWarning: () => {} });
  await storage.saveMetrics(
    'ses_a',
    [1, 2, 3].map((n) => ({
      id: `r${n}`,
      toolId: 'read',
      sessionId: 'ses_a',
      startTime: n,
      endTime: n + 1,
      duration: 1,
      success: true,
      sampleWeight: 1,
    })),
  );
  return { dir, log: join(dir, 'metrics', 'ses_a.jsonl') };
}

const cli = (argv: string[]) => runCli(argv);

describe('perftrack export --out', () => {
  it('refuses a path inside the store and leaves the session log untouched', async () => {
    const { dir, log } = await fixture();
    const before = readFileSync(log, 'utf8');
    const r = await cli(['export', '--dir', dir, '--out', log]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`refuses ${log}: it is inside the storage directory ${dir}`);
    expect(readFileSync(log, 'utf8')).toBe(before);
    expect(readdirSync(join(dir, 'metrics'))).toEqual(['ses_a.jsonl']);
  });

  it('replaces an existing 0644 file with a complete 0600 export', async () => {
    const { dir } = await fixture();
    const out = join(dir, '..', 'existing.json');
    writeFileSync(out, 'old content', { mode: 0o644 });
    chmodSync(out, 0o644);
    const r = await cli(['export', '--dir', dir, '--out', out]);
    expect(r).toMatchObject({ code: 0, stdout: `exported 3 records of 1 sessions to ${out}\n` });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, 'utf8')).sessions[0].metrics).toHaveLength(3);
    expect(readdirSync(join(dir, '..')).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
