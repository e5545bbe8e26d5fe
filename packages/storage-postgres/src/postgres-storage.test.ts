import type { ToolExecutionMetrics } from '@perftrack/core';
import { PartialAppendError, PerformanceStorage, supportsHistoryQuery } from '@perftrack/storage';
import { PerformanceIntegration } from '@perftrack/integration';
import { PostgresStorage, SCHEMA_VERSION, type PostgresStorageOptions } from '@perftrack/storage-postgres';
import { startTestCluster, type TestCluster } from './test-support/pg-cluster';
import { fleetRecords, record } from './test-support/records';
import { replaySessions, replayTools, replayTransitions } from './test-support/replay';

// Against a real PostgreSQL server started for this file (initdb in a temp dir, 127.0.0.1 only).

let cluster: TestCluster;
const open: PostgresStorage[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await Promise.all(open.map((s) => s.end()));
  await cluster?.destroy();
});

function adapter(options: PostgresStorageOptions = {}): PostgresStorage {
  const s = new PostgresStorage({ connectionString: cluster.url(), schema: cluster.schema(), onWarning: () => {}, ...options });
  open.push(s);
  return s;
}

async function readAll(s: PostgresStorage, sessionId: string): Promise<ToolExecutionMetrics[]> {
  const out: ToolExecutionMetrics[] = [];
  for await (const m of s.readMetrics(sessionId)) out.push(m);
  return out;
}

describe('PostgresStorage as a StorageAdapter', () => {
  test('creates and versions its schema once, even when several processes start at once', async () => {
    const schema = cluster.schema();
    const first = adapter({ schema });
    const others = [adapter({ schema }), adapter({ schema }), adapter({ schema })];
    await Promise.all([first, ...others].map((s) => s.listSessions()));
    const applied = await cluster.sql<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    expect(applied.map((r) => r.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    const tables = await cluster.sql<{ relname: string; relkind: string }>(
      `SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1`,
      [schema],
    );
    expect(tables).toEqual(
      expect.arrayContaining([
        { relname: 'records', relkind: 'p' },
        { relname: 'sessions', relkind: 'r' },
        { relname: 'snapshots', relkind: 'r' },
        { relname: 'schema_migrations', relkind: 'r' },
      ]),
    );
    const indexes = await cluster.sql<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'records'`,
      [schema],
    );
    expect(indexes.map((i) => i.indexname).sort()).toEqual(['records_pkey', 'records_time']);
  });

  test('appends and reads back records exactly, in startTime order; partitions are created as records need them', async () => {
    const schema = cluster.schema();
    const s = adapter({ schema, partitionInterval: 'day' });
    const records = [
      record({
        id: 'a',
        startTime: Date.UTC(2026, 0, 1, 23, 59, 59, 999) + 0.123456789,
        metadata: { k: [1, 'two', null] },
        inputSize: 10,
        inputHash: 'h',
      }),
      record({ id: 'b', startTime: Date.UTC(2026, 0, 2, 0, 0, 0, 1), success: false, error: 'boom', errorType: 'TypeError' }),
      record({ id: 'c', startTime: Date.UTC(2026, 0, 1), untimed: true, duration: 0, sampleWeight: 10, success: false }),
      record({ id: 'old', startTime: -5_000 }),
      record({ id: 'far', startTime: 3e14 }),
    ];
    await s.appendMetrics('s1', records);
    const back = await readAll(s, 's1');
    expect(back).toEqual([...records].sort((x, y) => x.startTime - y.startTime));
    const parts = await cluster.sql<{ relname: string }>(
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
       WHERE n.nspname = $1 AND p.relname = 'records' ORDER BY 1`,
      [schema],
    );
    expect(parts.map((p) => p.relname)).toEqual(['records_20260101', 'records_20260102', 'records_before_1970', 'records_from_10000']);
  });

  test('a retried batch, a repeated record and a second writer add nothing: each record is stored once', async () => {
    const schema = cluster.schema();
    const [a, b] = [adapter({ schema }), adapter({ schema })];
    const records = fleetRecords(300, 2, 1).map((r) => ({ ...r, sessionId: 'dup' }));
    await a.appendMetrics('dup', records);
    await a.appendMetrics('dup', records.slice(0, 100));
    await b.appendMetrics('dup', [...records.slice(250), records[3]!, records[3]!]);
    expect((await readAll(b, 'dup')).map((r) => r.id).sort()).toEqual(records.map((r) => r.id).sort());
    const [info] = await a.listSessions();
    expect(info).toMatchObject({ sessionId: 'dup', hasMetrics: true, hasPatterns: false, hasAnalytics: false });
    expect(await a.query.countRecords()).toBe(300);
  });

  test('a record filed under another session is stored under the session it was appended to', async () => {
    const s = adapter();
    await s.appendMetrics('target', [record({ id: 'x', sessionId: 'elsewhere' })]);
    expect(await readAll(s, 'target')).toEqual([record({ id: 'x', sessionId: 'target' })]);
    expect(await readAll(s, 'elsewhere')).toEqual([]);
  });

  test('snapshots are replaced by upsert, listed with the session, and deleted with it', async () => {
    const s = adapter();
    await s.writeSnapshot('patterns', 'snap', { v: 1 });
    await s.writeSnapshot('patterns', 'snap', { v: 2, text: 'NUL \u0000 and \ud800' });
    await s.writeSnapshot('analytics', 'snap', [1, 2, 3]);
    expect(await s.readSnapshot('patterns', 'snap')).toEqual({ v: 2, text: 'NUL \u0000 and \ud800' });
    expect(await s.readSnapshot('analytics', 'snap')).toEqual([1, 2, 3]);
    expect(await s.readSnapshot('analytics', 'none')).toBeUndefined();
    await expect(s.writeSnapshot('patterns', 'snap', undefined)).rejects.toThrow(TypeError);
    await s.appendMetrics('snap', [record({ id: '1', sessionId: 'snap' })]);
    const [info] = await s.listSessions();
    expect(info).toMatchObject({ sessionId: 'snap', hasMetrics: true, hasPatterns: true, hasAnalytics: true });
    expect(info!.bytes).toBeGreaterThan(50);
    expect(await s.deleteSession('snap')).toEqual(['metrics', 'patterns', 'analytics']);
    expect(await s.listSessions()).toEqual([]);
    expect(await readAll(s, 'snap')).toEqual([]);
  });

  test('hostile session ids and tool names are stored and read back as they are (bound parameters and COPY data only)', async () => {
    const s = adapter();
    const hostile = [
      '../../etc/passwd',
      '__proto__',
      "x'); DROP TABLE records; --",
      'tab\tnew\nline\rback\\slash',
      '\\N',
      'nul\u0000inside',
      '\u0001marker-first',
      'lone \ud800 surrogate',
      '😀 emoji',
      'k'.repeat(10_000),
    ];
    const sessionIds = hostile.filter((h) => !h.includes('\u0000') && h.length <= 200);
    for (const [i, sessionId] of sessionIds.entries()) {
      await s.appendMetrics(
        sessionId,
        hostile.map((toolId, j) =>
          record({ id: `${i}-${j}`, sessionId, toolId, errorType: toolId, success: j % 2 === 0, startTime: 1_764_633_600_000 + j }),
        ),
      );
    }
    for (const sessionId of sessionIds) expect((await readAll(s, sessionId)).map((r) => r.toolId)).toEqual(hostile);
    expect((await s.listSessions()).map((x) => x.sessionId).sort()).toEqual([...sessionIds].sort());
    const tools = await s.query.aggregateTools({ sessionIds });
    expect(tools.map((t) => t.toolId).sort()).toEqual([...hostile].sort());
    const failing = tools.find((t) => t.toolId === hostile[1])!;
    expect(failing.topErrors).toEqual([{ errorType: hostile[1], count: sessionIds.length }]);
    expect(await s.query.countRecords({ toolIds: ['nul\u0000inside', 'lone \ud800 surrogate'] })).toBe(2 * sessionIds.length);
    expect(await s.deleteSession('__proto__')).toEqual(['metrics']);
    expect(await s.query.countRecords({ sessionIds: ['__proto__'] })).toBe(0);
    // the tables are all still there
    expect(await s.query.countRecords()).toBe((sessionIds.length - 1) * hostile.length);
  });

  test('an unstorable record is left out and reported as a partial append with a TypeError cause; the rest are stored', async () => {
    const s = adapter();
    const big = { n: BigInt(1) } as unknown as Record<string, unknown>;
    const error = await s
      .appendMetrics('p', [
        record({ id: '1', sessionId: 'p' }),
        record({ id: '2', sessionId: 'p', metadata: big }),
        record({ id: '3', sessionId: 'p' }),
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialAppendError);
    expect(error).toMatchObject({ written: 2, cause: expect.any(TypeError) });
    expect((await readAll(s, 'p')).map((r) => r.id)).toEqual(['1', '3']);
  });

  test('through PerformanceStorage: a write pass over many sessions is one call (one transaction)', async () => {
    const s = adapter();
    const calls = { sessions: 0, metrics: 0 };
    const appendSessions = s.appendSessions.bind(s);
    s.appendSessions = (groups) => (calls.sessions++, appendSessions(groups));
    s.appendMetrics = () => (calls.metrics++, Promise.reject(new Error('not used')));
    const storage = new PerformanceStorage({ adapter: s, batchSize: 10_000, onWarning: () => {} });
    for (let i = 0; i < 500; i++) storage.onMetric(record({ id: `m${i}`, sessionId: `many-${i % 50}`, startTime: 1_764_633_600_000 + i }));
    await storage.flush();
    expect(calls).toEqual({ sessions: 1, metrics: 0 });
    expect(storage.stats()).toMatchObject({ written: 500, queued: 0 });
    expect((await s.listSessions()).length).toBe(50);
    await storage.shutdown();
  });

  test('through PerformanceStorage: batched writes land once, unstorable records are counted as lost', async () => {
    const s = adapter();
    const storage = new PerformanceStorage({ adapter: s, batchSize: 100, onWarning: () => {} });
    const records = fleetRecords(1000, 3, 4);
    for (const r of records) storage.onMetric(r);
    storage.onMetric(record({ id: 'bad', sessionId: 'session-0', metadata: { n: BigInt(2) } as unknown as Record<string, unknown> }));
    await storage.flush();
    expect(storage.stats()).toMatchObject({ written: 1000, lost: 1, queued: 0, dropped: 0 });
    expect(await s.query.countRecords()).toBe(1000);
    await storage.shutdown();
    expect(await s.query.countRecords()).toBe(1000); // usable after shutdown closed the pool
  });
});

describe('HistoryQuery in SQL equals a replay of the same records', () => {
  let s: PostgresStorage;
  let records: ToolExecutionMetrics[];

  beforeAll(async () => {
    s = adapter({ partitionInterval: 'day' });
    records = fleetRecords(4000, 7);
    const bySession = new Map<string, ToolExecutionMetrics[]>();
    for (const r of records) bySession.set(r.sessionId, [...(bySession.get(r.sessionId) ?? []), r]);
    // several batches per session, in stored order
    for (const [sessionId, rs] of bySession) for (let i = 0; i < rs.length; i += 97) await s.appendMetrics(sessionId, rs.slice(i, i + 97));
  });

  test('the adapter offers the query seam', () => {
    expect(supportsHistoryQuery(s)).toBe(true);
  });

  const filters = [
    undefined,
    { sessionIds: ['session-1', 'session-3', 'missing'] },
    { toolIds: ['read', 'bash'] },
    { since: Date.UTC(2026, 9, 24), until: Date.UTC(2026, 9, 29) },
    { sessionIds: [] as string[] },
  ];

  test.each(filters.map((f) => [JSON.stringify(f) ?? 'no filter', f]))('aggregateTools, %s', async (_, filter) => {
    const got = await s.query.aggregateTools(filter);
    const want = replayTools(records, filter);
    expect(got.map((t) => t.toolId)).toEqual(want.map((t) => t.toolId));
    for (const [i, t] of got.entries()) {
      const w = want[i]!;
      // sums may differ in the last bits (another summation order); everything else is exact
      expect({ ...t, totalDurationMs: 0, meanDurationMs: 0, errorRate: 0 }).toEqual({
        ...w,
        totalDurationMs: 0,
        meanDurationMs: 0,
        errorRate: 0,
      });
      expect(t.totalDurationMs).toBeCloseTo(w.totalDurationMs, 6);
      expect(t.meanDurationMs).toBeCloseTo(w.meanDurationMs, 9);
      expect(t.errorRate).toBeCloseTo(w.errorRate, 12);
    }
  });

  test.each(filters.map((f) => [JSON.stringify(f) ?? 'no filter', f]))('aggregateSessions, %s', async (_, filter) => {
    expect(await s.query.aggregateSessions(filter)).toEqual(replaySessions(records, filter));
    expect(await s.query.aggregateSessions(filter, 3)).toEqual(replaySessions(records, filter, 3));
  });

  test.each(filters.map((f) => [JSON.stringify(f) ?? 'no filter', f]))('aggregateTransitions and countRecords, %s', async (_, filter) => {
    expect(await s.query.aggregateTransitions(filter)).toEqual(replayTransitions(records, filter));
    expect(await s.query.aggregateTransitions(filter, 5)).toEqual(replayTransitions(records, filter, 5));
    expect(await s.query.countRecords(filter)).toBe(replaySessions(records, filter).reduce((n, x) => n + x.records, 0));
  });

  test('percentiles equal percentile_disc for awkward distributions (all equal, sub-µs, huge, one record, one crowded bucket)', async () => {
    const schema = cluster.schema();
    const p = adapter({ schema });
    const distributions: Record<string, number[]> = {
      equal: Array.from({ length: 500 }, () => 7.25),
      tiny: Array.from({ length: 300 }, (_, i) => i * 1e-6),
      huge: Array.from({ length: 200 }, (_, i) => 1e12 + i * 1e9),
      one: [3],
      crowded: Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? i : 100 + (i % 7) * 1e-4)),
      zeros: Array.from({ length: 99 }, (_, i) => (i < 98 ? 0 : 5)),
    };
    let n = 0;
    for (const [toolId, durations] of Object.entries(distributions)) {
      await p.appendMetrics(
        'dist',
        durations.map((duration) => record({ id: `d${n}`, sessionId: 'dist', toolId, duration, startTime: 1_764_633_600_000 + n++ })),
      );
    }
    const want = await cluster.sql<{ tool_id: string; p: number[] }>(
      `SELECT tool_id, percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY duration_ms) AS p FROM "${schema}".records GROUP BY tool_id`,
    );
    const got = await p.query.aggregateTools();
    for (const w of want)
      expect([w.tool_id, ...[got.find((t) => t.toolId === w.tool_id)!].map((t) => [t.p50Ms, t.p95Ms, t.p99Ms])]).toEqual([w.tool_id, w.p]);
    expect(got).toHaveLength(Object.keys(distributions).length);
  });

  test('a bad filter or limit is a TypeError', async () => {
    await expect(s.query.aggregateTools({ since: Number.NaN })).rejects.toThrow(TypeError);
    await expect(s.query.aggregateSessions({ sessionIds: [1 as unknown as string] })).rejects.toThrow(TypeError);
    await expect(s.query.aggregateTransitions(undefined, -1)).rejects.toThrow(TypeError);
  });
});

describe("README's fleet setup", () => {
  test('the integration with PostgresStorage: tracked calls, session reports and patterns land in the database; a second process replays them', async () => {
    const schema = cluster.schema();
    const perf = await PerformanceIntegration.initialize({
      storage: adapter({ schema }),
      analyticsInterval: 0,
      flushOnExit: false,
      onWarning: () => {},
    });
    const tools = perf.wrapTools([
      { id: 'read', execute: async (args: { path: string }) => `contents of ${args.path}` },
      {
        id: 'grep',
        execute: async () => {
          throw new Error('no match');
        },
      },
    ]);
    for (let i = 0; i < 20; i++) {
      await tools[0]!.execute({ path: `f${i}` }, { sessionID: 'agent-1' });
      await tools[1]!.execute({}, { sessionID: 'agent-1' }).catch(() => {});
    }
    await PerformanceIntegration.shutdown();
    const reader = adapter({ schema });
    const [session] = await reader.listSessions();
    expect(session).toMatchObject({ sessionId: 'agent-1', hasMetrics: true, hasPatterns: true, hasAnalytics: true });
    const tools2 = await reader.query.aggregateTools();
    expect(tools2.map((t) => [t.toolId, t.calls, t.failures])).toEqual([
      ['grep', 20, 20],
      ['read', 20, 0],
    ]);
    expect(await reader.query.aggregateTransitions()).toEqual([
      { from: 'read', to: 'grep', count: 20, failures: 20 },
      { from: 'grep', to: 'read', count: 19, failures: 0 },
    ]);
    const again = await PerformanceIntegration.initialize({
      storage: adapter({ schema }),
      analyticsInterval: 0,
      flushOnExit: false,
      onWarning: () => {},
    });
    await again.ready;
    expect((await again.getSessionReport('agent-1')).analytics.summary.totalOperations).toBe(40);
    await PerformanceIntegration.shutdown();
  });
});
