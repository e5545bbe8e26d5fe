import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type CliIo } from '@perftrack/cli';
import { PerformanceStorage } from '@perftrack/storage';
// The PostgreSQL package's test cluster (a real server in a temp dir): test support, not API.
import { startTestCluster, type TestCluster } from '../../storage-postgres/src/test-support/pg-cluster';

// `--store postgres://…` and `export --to` / `import --from` between a directory and a real
// PostgreSQL server, with the fixture store (74 records in two sessions, one corrupt line).

const FIXTURE = join(__dirname, '..', 'test-fixtures', 'store');
let cluster: TestCluster;
let scratch: string;
let dir: string;
let databases = 0;

beforeAll(async () => {
  cluster = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.destroy();
});
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'perftrack-cli-pg-'));
  dir = join(scratch, 'store');
  await cp(FIXTURE, dir, { recursive: true });
});
afterEach(() => rm(scratch, { recursive: true, force: true }));

/** A fresh, empty database of its own for each test. */
async function database(): Promise<string> {
  const name = `cli_${++databases}`;
  await cluster.sql(`CREATE DATABASE ${name}`);
  return cluster.url({ database: name });
}

async function cli(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Partial<CliIo> = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env,
    cwd: scratch,
    now: () => Date.UTC(2026, 10, 25, 12),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('perftrack with --store postgres://…', () => {
  test('export --to a database and import --from it move every record both ways; running either twice adds nothing', async () => {
    const url = await database();
    const label = `postgres://127.0.0.1:${cluster.port}/${url.split('/').pop()}`;
    const first = await cli(['export', '--dir', dir, '--to', url, '--json']);
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toEqual({ from: dir, to: label, sessions: 2, copied: 74, duplicates: 0, snapshots: 0 });
    const again = JSON.parse((await cli(['export', '--dir', dir, '--to', url, '--json'])).stdout);
    expect(again).toMatchObject({ copied: 0, duplicates: 74 });

    const sessions = JSON.parse((await cli(['sessions', '--store', url, '--json'])).stdout) as { sessionId: string }[];
    expect(sessions.map((s) => s.sessionId).sort()).toEqual(['ses_alpha', 'ses_beta']);

    const back = join(scratch, 'back');
    const imported = await cli(['import', '--from', url, '--dir', back]);
    expect(imported).toEqual({
      code: 0,
      stdout: `copied 74 records of 2 sessions from ${label} to ${back} (0 already there, 0 snapshots)\n`,
      stderr: '',
    });
    expect(JSON.parse((await cli(['import', '--from', url, '--dir', back, '--json'])).stdout)).toMatchObject({ copied: 0, duplicates: 74 });

    // the same report from the directory, the database and the copy made from the database: the
    // full one (replayed) and the aggregate one (the database's default, computed by SQL there)
    const report = async (args: string[]) =>
      (JSON.parse((await cli(['report', ...args, '--no-aggregates', '--json'])).stdout) as { analytics: { tools: unknown } }).analytics
        .tools;
    const fromDir = await report(['--dir', dir]);
    expect(await report(['--store', url])).toEqual(fromDir);
    expect(await report(['--dir', back])).toEqual(fromDir);
    const aggregates = async (args: string[]) =>
      (JSON.parse((await cli(['report', ...args, '--json'])).stdout) as { tools: unknown }).tools;
    const dirAggregates = (JSON.parse((await cli(['report', '--dir', dir, '--aggregates', '--json'])).stdout) as { tools: unknown }).tools;
    expect(dirAggregates).toEqual(expect.any(Array));
    expect(await aggregates(['--store', url])).toEqual(dirAggregates);

    const a = new PerformanceStorage({ dir });
    const b = new PerformanceStorage({ dir: back });
    for (const id of ['ses_alpha', 'ses_beta']) {
      const byStart = (x: { startTime: number; id: string }, y: { startTime: number; id: string }) =>
        x.startTime - y.startTime || (x.id < y.id ? -1 : 1);
      expect((await b.loadMetrics(id)).sort(byStart)).toEqual((await a.loadMetrics(id)).sort(byStart));
    }
  }, 60_000);

  test('an export file imported into a database twice: the second import adds nothing', async () => {
    const url = await database();
    const file = join(scratch, 'all.json');
    expect((await cli(['export', '--dir', dir, '--out', file])).code).toBe(0);
    expect(JSON.parse((await cli(['import', file, '--store', url, '--json'])).stdout)).toMatchObject({
      imported: 74,
      duplicates: 0,
      dir: expect.stringMatching(/^postgres:\/\/127\.0\.0\.1:\d+\/cli_\d+$/),
    });
    expect(JSON.parse((await cli(['import', file, '--store', url, '--json'])).stdout)).toMatchObject({ imported: 0, duplicates: 74 });
  });

  test('PERFTRACK_DATABASE_URL is the default store; --dir still wins', async () => {
    const url = await database();
    await cli(['export', '--dir', dir, '--to', url]);
    const fromEnv = await cli(['sessions'], { PERFTRACK_DATABASE_URL: url });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toContain(`2 sessions`);
    expect(fromEnv.stdout).not.toContain(cluster.password);
    const fromDir = await cli(['sessions', '--dir', dir], { PERFTRACK_DATABASE_URL: url });
    expect(fromDir.stdout).toContain(`in ${dir}`);
  });

  test('the dashboard reads a database too', async () => {
    const url = await database();
    await cli(['export', '--dir', dir, '--to', url]);
    let stdout = '';
    const code = await main(['dashboard', '--store', url, '--port', '0'], {
      stdout: { write: (s: string) => (stdout += s), isTTY: false },
      stderr: { write: () => true, isTTY: false },
      env: {},
      cwd: scratch,
      untilStopped: async (dashboard) => {
        const state = await fetch(`${dashboard.url}api/snapshot`).then((r) => (r.ok ? r.json() : r.status));
        stdout += `\nstate ${JSON.stringify(state).length > 100 ? 'ok' : JSON.stringify(state)}\n`;
      },
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/reading postgres:\/\/127\.0\.0\.1:\d+\/cli_\d+; Ctrl-C to stop/);
    expect(stdout).toContain('state ok');
    expect(stdout).not.toContain(cluster.password);
  });

  test('a wrong password, nothing listening, a bad URL, or --dir with --store: one line, no password anywhere', async () => {
    const wrong = cluster.url({ password: 'not-the-Secret-9' });
    const bad = await cli(['sessions', '--store', wrong]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^perftrack: error: cannot open postgres:\/\/127\.0\.0\.1:\d+\/postgres: list sessions failed: password authentication failed for user "perftrack"\n$/,
    );
    const down = await cli(['report', '--store', 'postgres://perftrack:not-the-Secret-9@127.0.0.1:1/x']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/ECONNREFUSED|connect/);
    const malformed = await cli(['sessions', '--store', 'postgres://perftrack:not-the-Secret-9@[::1/x']);
    expect(malformed.code).toBe(2);
    const both = await cli(['sessions', '--dir', dir, '--store', wrong]);
    expect(both).toMatchObject({ code: 2, stderr: 'perftrack: error: --dir and --store are exclusive: give one\n' });
    for (const r of [bad, down, malformed, both]) expect(r.stdout + r.stderr).not.toContain('not-the-Secret-9');
  });
});
