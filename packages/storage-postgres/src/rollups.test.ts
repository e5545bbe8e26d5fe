import type { ToolExecutionMetrics } from '@perftrack/core';
import type { HistoryFilter, ToolAggregate } from '@perftrack/storage';
import { PostgresStorage, type PostgresStorageOptions } from '@perftrack/storage-postgres';
import { startTestCluster, type TestCluster } from './test-support/pg-cluster';
import { fleetRecords, record } from './test-support/records';
import { replaySessions, replayTools, replayTransitions } from './test-support/replay';

// The rollups kept at insert time (tool-days, histograms, transitions, session figures) against
// a replay of the same records, on a real PostgreSQL server started for this file.

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

async function appendInBatches(s: PostgresStorage, records: readonly ToolExecutionMetrics[], size: number): Promise<void> {
  const bySession = new Map<string, ToolExecutionMetrics[]>();
  for (const r of records) bySession.set(r.sessionId, [...(bySession.get(r.sessionId) ?? []), r]);
  for (const [sessionId, rs] of bySession)
    for (let i = 0; i < rs.length; i += size) await s.appendMetrics(sessionId, rs.slice(i, i + size));
}

/** Everything exact but the percentiles, which are within the histogram's bound of nearest rank. */
function expectApproximately(got: readonly ToolAggregate[], want: readonly ToolAggregate[]): void {
  expect(got.map((t) => t.toolId)).toEqual(want.map((t) => t.toolId));
  for (const [i, t] of got.entries()) {
    const w = want[i]!;
    const blank = { totalDurationMs: 0, meanDurationMs: 0, errorRate: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 };
    expect({ ...t, ...blank }).toEqual({ ...w, ...blank });
    expect(t.totalDurationMs).toBeCloseTo(w.totalDurationMs, 6);
    expect(t.meanDurationMs).toBeCloseTo(w.meanDurationMs, 9);
    for (const p of ['p50Ms', 'p95Ms', 'p99Ms'] as const) {
      const exact = w[p]!;
      expect(Math.abs(t[p]! - exact)).toBeLessThanOrEqual(Math.max(exact * 0.0079, 0.0005) + 1e-12);
    }
  }
}

/** Every figure of the query seam against a replay (percentiles exact when `exact`). */
async function expectReplay(
  s: PostgresStorage,
  records: readonly ToolExecutionMetrics[],
  filter?: HistoryFilter,
  exact = false,
): Promise<void> {
  const tools = await s.query.aggregateTools(filter);
  if (exact)
    expect(tools.map((t) => [t.toolId, t.p50Ms, t.p95Ms, t.p99Ms])).toEqual(
      replayTools(records, filter).map((t) => [t.toolId, t.p50Ms, t.p95Ms, t.p99Ms]),
    );
  expectApproximately(tools, replayTools(records, filter));
  expect(await s.query.aggregateSessions(filter)).toEqual(replaySessions(records, filter));
  expect(await s.query.aggregateTransitions(filter)).toEqual(replayTransitions(records, filter));
  expect(await s.query.countRecords(filter)).toBe(replaySessions(records, filter).reduce((n, x) => n + x.records, 0));
}

describe('rollups kept at insert time', () => {
  const day = 86_400_000;
  const filters: (HistoryFilter | undefined)[] = [
    undefined,
    { toolIds: ['read', 'bash', 'missing'] },
    { since: Date.UTC(2026, 9, 22), until: Date.UTC(2026, 9, 26) },
    { since: Date.UTC(2026, 9, 22) + 5000, until: Date.UTC(2026, 9, 26) - day / 3 }, // not whole days: from the records
    { sessionIds: ['session-2', 'session-5'] },
  ];

  test.each(filters.map((f) => [JSON.stringify(f) ?? 'no filter', f]))(
    'above exactPercentilesUpTo, figures come from the rollups: exact counts, percentiles within 0.79%%; %s',
    async (_, filter) => {
      const s = adapter({ partitionInterval: 'day', exactPercentilesUpTo: 0 });
      const records = fleetRecords(3000, 11);
      await appendInBatches(s, records, 113);
      await expectReplay(s, records, filter);
      if (filter?.sessionIds === undefined && (filter?.since ?? 0) % day === 0) {
        // the histogram's answer, not the records': some percentile is a bucket's midpoint
        const got = await s.query.aggregateTools(filter);
        const want = replayTools(records, filter);
        expect(got.some((t, i) => t.p50Ms !== want[i]!.p50Ms || t.p95Ms !== want[i]!.p95Ms)).toBe(true);
      }
    },
  );

  test('batches that land before the end of their session, retried and repeated batches: transitions still equal a replay', async () => {
    const schema = cluster.schema();
    const s = adapter({ schema, exactPercentilesUpTo: 0 });
    const t0 = Date.UTC(2026, 10, 3);
    const tools = ['read', 'grep', 'edit', 'bash'];
    const make = (session: string, from: number, n: number, start: number) =>
      Array.from({ length: n }, (_, i) =>
        record({
          id: `${session}-${from + i}`,
          sessionId: session,
          toolId: tools[(from + i * 3) % 4]!,
          startTime: start + i * 10,
          success: i % 5 !== 0,
        }),
      );
    const stored: ToolExecutionMetrics[] = [];
    const append = async (session: string, rs: ToolExecutionMetrics[]) => {
      await s.appendMetrics(session, rs);
      for (const r of rs) if (!stored.some((x) => x.id === r.id && x.sessionId === r.sessionId)) stored.push(r);
    };
    await append('in-order', make('in-order', 0, 50, t0));
    await append('in-order', make('in-order', 50, 50, t0 + 500)); // continues
    await append('late', make('late', 0, 40, t0 + 1000));
    await append('late', make('late', 40, 40, t0)); // lands before the session's end, interleaved
    await append('late', make('late', 80, 10, t0 + 5000)); // after the end again: the session stays counted from its records
    await append('tie', make('tie', 0, 10, t0));
    await append('tie', [record({ id: 'tie-x', sessionId: 'tie', toolId: 'edit', startTime: t0 + 90 })]); // same startTime as the last
    const retried = make('in-order', 50, 50, t0 + 500);
    await append('in-order', retried); // a retry: nothing new
    await expectReplay(s, stored);
    const rows = await cluster.sql<{ session_id: string; transitions_exact: boolean }>(
      `SELECT session_id, transitions_exact FROM "${schema}".sessions ORDER BY 1`,
    );
    expect(rows).toEqual([
      { session_id: 'in-order', transitions_exact: true },
      { session_id: 'late', transitions_exact: false },
      { session_id: 'tie', transitions_exact: true },
    ]);
    // deleting sessions takes their share out of every rollup
    await s.deleteSession('late');
    await expectReplay(
      s,
      stored.filter((r) => r.sessionId !== 'late'),
    );
    await s.deleteSession('in-order');
    await expectReplay(
      s,
      stored.filter((r) => r.sessionId === 'tie'),
    );
  });

  test('records written around the adapter (bulk SQL) are counted after rebuildAggregates()', async () => {
    const schema = cluster.schema();
    const s = adapter({ schema, exactPercentilesUpTo: 0 });
    const records = fleetRecords(1500, 5, 6);
    await appendInBatches(s, records.slice(0, 700), 50);
    await cluster.sql(
      `INSERT INTO "${schema}".records (session_id, id, start_ms, end_ms, duration_ms, tool_id, success, untimed, error_type, sample_weight)
       SELECT x.session_id, x.id, x.start_ms, x.end_ms, x.duration_ms, x.tool_id, x.success, x.untimed, x.error_type, x.sample_weight
       FROM json_to_recordset($1::json) AS x(session_id text, id text, start_ms float8, end_ms float8, duration_ms float8, tool_id text,
                                              success boolean, untimed boolean, error_type text, sample_weight float8)`,
      [
        JSON.stringify(
          records.slice(700).map((r) => ({
            session_id: r.sessionId,
            id: r.id,
            start_ms: r.startTime,
            end_ms: r.endTime,
            duration_ms: r.duration,
            tool_id: r.toolId,
            success: r.success,
            untimed: r.untimed === true,
            error_type: r.errorType ?? null,
            sample_weight: r.sampleWeight,
          })),
        ),
      ],
    );
    await s.rebuildAggregates();
    // json_to_recordset keeps the array's order, so seq (ties on startTime) follows the stored order
    await expectReplay(s, records);
  });

  test('a database created before the rollups (schema version 1) is brought up to date with them filled from its records', async () => {
    const schema = cluster.schema();
    const old = adapter({ schema });
    const records = fleetRecords(1200, 9, 5);
    await appendInBatches(old, records, 77);
    await old.end();
    // back to version 1 as it was released
    await cluster.sql(`DROP TABLE "${schema}".tool_days, "${schema}".tool_day_errors, "${schema}".transitions`);
    await cluster.sql(`DROP FUNCTION "${schema}".hist_add(int8[], int8[]), "${schema}".hist_from(int[], int8[])`);
    await cluster.sql(
      `ALTER TABLE "${schema}".sessions DROP COLUMN calls, DROP COLUMN failures, DROP COLUMN first_time, DROP COLUMN last_time,
         DROP COLUMN tools, DROP COLUMN last_start, DROP COLUMN last_seq, DROP COLUMN last_tool, DROP COLUMN transitions_exact`,
    );
    await cluster.sql(`CREATE INDEX records_tool_time ON "${schema}".records (tool_id, start_ms)`);
    await cluster.sql(`DELETE FROM "${schema}".schema_migrations WHERE version >= 2`);
    const upgraded = adapter({ schema, exactPercentilesUpTo: 0 });
    await expectReplay(upgraded, records);
    const exact = adapter({ schema });
    await expectReplay(exact, records, undefined, true);
  });
});
