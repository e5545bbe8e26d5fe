import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { ToolExecutionMetrics } from '@perftrack/core';
import { PerformanceStorage, type ToolAggregate } from '@perftrack/storage';
import { DATABASE_URL_ENV, PostgresStorage, PostgresStorageError, type PostgresStorageOptions } from '@perftrack/storage-postgres';
import { startTestCluster, type TestCluster } from './test-support/pg-cluster';
import { record } from './test-support/records';

// Real failures against a real server: a bad URL, nothing listening, a wrong password, connections
// killed by the server, a server restart in the middle of a run, and several writer processes.

let cluster: TestCluster;
const open: PostgresStorage[] = [];
const repoRoot = join(__dirname, '..', '..', '..');

beforeAll(async () => {
  cluster = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await Promise.all(open.map((s) => s.end()));
  await cluster?.destroy();
});

const schemas = new WeakMap<PostgresStorage, string>();
function adapter(options: PostgresStorageOptions = {}): PostgresStorage {
  const schema = options.schema ?? cluster.schema();
  const s = new PostgresStorage({ connectionString: cluster.url(), onWarning: () => {}, ...options, schema });
  schemas.set(s, schema);
  open.push(s);
  return s;
}

/** Everything an error carries, as a user's logger would print it. */
const printed = (e: unknown) => `${String(e)}\n${inspect(e, { depth: 5, showHidden: true })}\n${JSON.stringify(e)}`;

const records = (prefix: string, sessionId: string, count: number, from = 0): ToolExecutionMetrics[] =>
  Array.from({ length: count }, (_, i) => record({ id: `${prefix}-${from + i}`, sessionId, startTime: Date.UTC(2026, 11, 1) + from + i }));

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('configuration', () => {
  test('no connection string and no PERFTRACK_DATABASE_URL: a TypeError that says how to give one', () => {
    expect(() => new PostgresStorage({ env: {} })).toThrow(new RegExp(`pass connectionString or set ${DATABASE_URL_ENV}`));
  });

  test('the connection string comes from PERFTRACK_DATABASE_URL when no option is given', async () => {
    const s = new PostgresStorage({ env: { [DATABASE_URL_ENV]: cluster.url() }, schema: cluster.schema(), onWarning: () => {} });
    open.push(s);
    expect(await s.listSessions()).toEqual([]);
    expect(s.target).toBe(`127.0.0.1:${cluster.port}/postgres`);
  });

  test('a bad URL is refused without repeating it (it may hold a password)', () => {
    for (const bad of [
      'mysql://u:hunter2-secret@h/db',
      'postgres://u:hunter2-secret@[::1/db',
      'hunter2-secret',
      'postgres://u:hunter2-secret@host:99999/db',
    ]) {
      let error: unknown;
      try {
        new PostgresStorage({ connectionString: bad });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TypeError);
      expect(printed(error)).not.toContain('hunter2');
    }
  });

  test('unknown options, a bad schema name or partition interval are TypeErrors', () => {
    const url = cluster.url();
    expect(() => new PostgresStorage({ connectionString: url, scheme: 'x' } as never)).toThrow(/unknown option "scheme"/);
    expect(() => new PostgresStorage({ connectionString: url, schema: 'a"; DROP SCHEMA public; --' })).toThrow(TypeError);
    expect(() => new PostgresStorage({ connectionString: url, partitionInterval: 'week' as never })).toThrow(TypeError);
    expect(() => new PostgresStorage({ connectionString: url, maxConnections: 0 })).toThrow(TypeError);
  });
});

describe('connection failures', () => {
  test('nothing listening: the append rejects with ECONNREFUSED; the password appears nowhere', async () => {
    const s = adapter({
      connectionString: `postgres://perftrack:hunter2-secret@127.0.0.1:${await closedPort()}/postgres`,
      connectionTimeoutMs: 2000,
    });
    const error = await s.appendMetrics('s', records('a', 's', 3)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgresStorageError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', operation: 'append records' });
    expect(printed(error)).not.toContain('hunter2');
  });

  test('a wrong password: 28P01, reported to the error handler, records kept queued and retried, lost only at shutdown; no password in any message', async () => {
    const wrong = 'Wr0ng-p@ss/word:secret';
    const s = adapter({ connectionString: cluster.url({ password: wrong }) });
    const errors: unknown[] = [];
    const warnings: string[] = [];
    const storage = new PerformanceStorage({
      adapter: s,
      batchSize: 10,
      flushIntervalMs: 5,
      onError: (e) => errors.push(e),
      onWarning: (w) => warnings.push(w),
    });
    for (const r of records('w', 'wrong', 25)) storage.onMetric(r);
    await expect(storage.flush()).rejects.toMatchObject({ code: '28P01' });
    await new Promise((r) => setTimeout(r, 300)); // a few retries
    expect(storage.stats()).toMatchObject({ queued: 25, written: 0, lost: 0 });
    expect(storage.stats().writeErrors).toBeGreaterThanOrEqual(2);
    await storage.shutdown();
    expect(storage.stats()).toMatchObject({ queued: 0, written: 0, lost: 25 });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toBeInstanceOf(PostgresStorageError);
    expect((errors[0] as Error).message).toMatch(/password authentication failed/);
    const everything = [...errors.map(printed), ...warnings].join('\n');
    for (const secret of [wrong, encodeURIComponent(wrong), cluster.password]) expect(everything).not.toContain(secret);
  });

  test('connections killed by the server (pg_terminate_backend): the idle error is reported, the next write reconnects, nothing is lost or doubled', async () => {
    const errors: unknown[] = [];
    const s = adapter({ onError: (e) => errors.push(e) });
    const storage = new PerformanceStorage({ adapter: s, batchSize: 200, flushIntervalMs: 5, onError: () => {}, onWarning: () => {} });
    const all = records('k', 'killed', 6000);
    for (let round = 0; round < 6; round++) {
      for (const r of all.slice(round * 1000, round * 1000 + 1000)) storage.onMetric(r);
      const flushed = storage.flush().catch(() => {});
      await cluster.sql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'perftrack' AND pid <> pg_backend_pid()`,
      );
      await flushed;
    }
    for (let i = 0; i < 50 && storage.stats().queued > 0; i++) await storage.flush().catch(() => new Promise((r) => setTimeout(r, 100)));
    expect(storage.stats()).toMatchObject({ queued: 0, written: 6000, lost: 0, dropped: 0 });
    // and once more while every connection is idle in the pool: the next query, at once, still answers
    await cluster.sql(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'perftrack' AND pid <> pg_backend_pid()`,
    );
    // (the report arrives once the pool sees the connection close; a query taking that connection
    // first would see the close itself, so the report is awaited before the next query)
    for (let i = 0; i < 250 && !errors.some((e) => (e as PostgresStorageError).operation === 'idle connection'); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(errors.some((e) => e instanceof PostgresStorageError && e.operation === 'idle connection')).toBe(true);
    expect(await s.query.countRecords({ sessionIds: ['killed'] })).toBe(6000);
    expect(await s.query.countRecords()).toBe(6000);
    // killed again and asked at once: the query retries on a new connection
    await cluster.sql(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'perftrack' AND pid <> pg_backend_pid()`,
    );
    expect(await s.query.countRecords({ sessionIds: ['killed'] })).toBe(6000);
    for (const e of errors) expect(printed(e)).not.toContain(cluster.password);
    await storage.shutdown();
  }, 60_000);

  test('a server restart in the middle of a run: records queue while it is down, then arrive once each', async () => {
    const s = adapter();
    const errors: unknown[] = [];
    const storage = new PerformanceStorage({
      adapter: s,
      batchSize: 250,
      flushIntervalMs: 5,
      onError: (e) => errors.push(e),
      onWarning: () => {},
    });
    const all = records('r', 'restart', 9000);
    for (const r of all.slice(0, 3000)) storage.onMetric(r);
    const inFlight = storage.flush().catch(() => {});
    await cluster.stopServer(); // fast shutdown: whatever is in flight is cut off
    await inFlight;
    for (const r of all.slice(3000, 6000)) storage.onMetric(r);
    await expect(storage.flush()).rejects.toBeInstanceOf(PostgresStorageError);
    expect(storage.stats().queued).toBeGreaterThan(3000 - 1);
    await cluster.startServer();
    for (const r of all.slice(6000)) storage.onMetric(r);
    for (let i = 0; i < 100 && storage.stats().queued > 0; i++) await storage.flush().catch(() => new Promise((r) => setTimeout(r, 100)));
    expect(storage.stats()).toMatchObject({ queued: 0, written: 9000, lost: 0, dropped: 0 });
    expect(storage.stats().writeErrors).toBeGreaterThan(0);
    const stored = await cluster.sql<{ n: string; distinct: string }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS distinct FROM "${schemas.get(s)!}".records`,
    );
    expect(stored[0]).toEqual({ n: '9000', distinct: '9000' });
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(printed(e)).not.toContain(cluster.password);
    await storage.shutdown();
  }, 90_000);
});

describe('many writer processes on one database', () => {
  test('four processes, their own sessions and the same shared records: every record exactly once', async () => {
    const schema = cluster.schema();
    const writers = 4;
    const count = 5000;
    const shared = 2000;
    const runs = Array.from({ length: writers }, (_, w) =>
      runChild({
        DATABASE_URL: cluster.url(),
        SCHEMA: schema,
        WRITER: `w${w}`,
        COUNT: String(count),
        SHARED: String(shared),
        BATCH: '400',
      }),
    );
    const results = await Promise.all(runs);
    for (const r of results) {
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      const done = JSON.parse(
        r.stdout
          .split('\n')
          .find((l) => l.startsWith('done '))!
          .slice(5),
      ) as Record<string, unknown>;
      expect(done).toMatchObject({ written: count + shared, queued: 0, dropped: 0, lost: 0, errors: [] });
    }
    const rows = await cluster.sql<{ session_id: string; n: string; distinct: string }>(
      `SELECT session_id, count(*) AS n, count(DISTINCT id) AS distinct FROM "${schema}".records GROUP BY session_id ORDER BY session_id`,
    );
    expect(rows).toEqual([
      { session_id: 'shared', n: String(shared), distinct: String(shared) },
      ...Array.from({ length: writers }, (_, w) => ({ session_id: `w${w}`, n: String(count), distinct: String(count) })),
    ]);
    const reader = adapter({ schema, exactPercentilesUpTo: 0 });
    const sessions = await reader.listSessions();
    expect(sessions.map((x) => x.sessionId).sort()).toEqual(['shared', 'w0', 'w1', 'w2', 'w3']);
    // the rollups the four writers folded at once (the shared session by all four) agree with
    // the records: a time bound off UTC midnight makes the same queries read the records
    const fromRecords = { since: -Number.MAX_VALUE };
    expect(await reader.query.aggregateTransitions()).toEqual(await reader.query.aggregateTransitions(fromRecords));
    expect(await reader.query.aggregateSessions()).toEqual(await reader.query.aggregateSessions(fromRecords));
    expect(await reader.query.countRecords()).toBe(writers * count + shared);
    const counted = (tools: ToolAggregate[]) =>
      tools.map(({ p50Ms: _a, p95Ms: _b, p99Ms: _c, totalDurationMs, meanDurationMs, ...t }) => ({
        ...t,
        totalDurationMs: Math.round(totalDurationMs),
        meanDurationMs: +meanDurationMs.toFixed(6),
      }));
    expect(counted(await reader.query.aggregateTools())).toEqual(counted(await reader.query.aggregateTools(fromRecords)));
    const parts = await cluster.sql(
      `SELECT 1 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = 'records'`,
      [schema],
    );
    expect(parts.length).toBe(2 + 2); // the two fixed ones, and 30 Nov and 1 Dec created by whichever writer came first
  }, 90_000);
});

function runChild(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'test-support', 'writer-child.js')], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
