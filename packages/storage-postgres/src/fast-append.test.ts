import type { ToolExecutionMetrics } from '@perftrack/core';
import { PerformanceStorage } from '@perftrack/storage';
import { PostgresStorage, type PostgresStorageOptions } from '@perftrack/storage-postgres';
import { bucketOf, BUCKETS_SQL } from './fast-append';
import { startTestCluster, type TestCluster } from './test-support/pg-cluster';
import { record, seeded } from './test-support/records';

// The fast path of an append (COPY straight into records, rollup deltas computed from the batch)
// and its fallback (a batch with a record stored already takes the staging + ON CONFLICT path),
// on a real PostgreSQL server: the rollups either way equal the ones recomputed from the records.

let cluster: TestCluster;
const open: PostgresStorage[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await Promise.all(open.map((s) => s.end()));
  await cluster?.destroy();
});

function adapter(schema: string, options: PostgresStorageOptions = {}): PostgresStorage {
  const s = new PostgresStorage({ connectionString: cluster.url(), schema, onWarning: () => {}, ...options });
  open.push(s);
  return s;
}

/** Records whose sums are exact in any order (durations and weights are binary fractions), in time order per session. */
function exactRecords(count: number, seed: number, sessions = 5): ToolExecutionMetrics[] {
  const random = seeded(seed);
  const tools = ['read', 'grep', 'edit', 'bash', 'tool\twith\ttabs', 'ünïcode'];
  const base = Date.UTC(2026, 10, 28, 20);
  return Array.from({ length: count }, (_, i) => {
    const success = random() > 0.2;
    const untimed = !success && random() < 0.3;
    const duration = untimed ? 0 : Math.floor(random() * random() * 4096) / 8;
    // three records of a session in a row share a startTime (so stored order matters); days change within the run
    const startTime = base + Math.floor(i / (3 * sessions)) * 60_000 * 7;
    return record({
      id: `r${i}`,
      sessionId: `s${i % sessions}`,
      toolId: tools[Math.floor(random() * tools.length)]!,
      startTime,
      endTime: startTime + duration,
      duration,
      success,
      sampleWeight: random() < 0.1 ? 0.5 : 1,
      ...(untimed ? { untimed: true } : {}),
      ...(success ? {} : random() < 0.5 ? { errorType: random() < 0.5 ? 'ENOENT' : 'Timeout' } : {}),
      ...(random() < 0.3 ? { metadata: { note: 'ä'.repeat(i % 5) } } : {}),
    });
  });
}

/** Every rollup, shards summed, in key order: what the reads add up. */
async function rollups(schema: string): Promise<unknown> {
  const S = `"${schema}"`;
  const days = await cluster.sql<{ tool_id: string; day: number; hist: string[] } & Record<string, unknown>>(
    `SELECT tool_id, day, sum(records)::int AS records, sum(calls) AS calls, sum(failures) AS failures,
            sum(timed_records)::int AS timed_records, sum(total_duration) AS total_duration, sum(timed_weight) AS timed_weight,
            min(first_time) AS first_time, max(last_time) AS last_time, min(min_duration) AS min_duration,
            max(max_duration) AS max_duration, array_agg(hist::text) AS hist
     FROM ${S}.tool_days GROUP BY 1, 2 ORDER BY tool_id COLLATE "C", day`,
  );
  for (const d of days) {
    // histograms summed element-wise, trailing zeros dropped
    const sum: number[] = [];
    for (const h of d.hist) for (const [i, n] of h.slice(1, -1).split(',').map(Number).entries()) sum[i] = (sum[i] ?? 0) + n;
    while (sum.length > 0 && sum[sum.length - 1] === 0) sum.pop();
    (d as Record<string, unknown>).hist = sum;
  }
  return {
    days,
    errors: await cluster.sql(
      `SELECT tool_id, day, error_type, sum(n)::int AS n FROM ${S}.tool_day_errors GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY tool_id COLLATE "C", day, error_type COLLATE "C"`,
    ),
    transitions: await cluster.sql(
      `SELECT from_tool, to_tool, sum(n)::int AS n, sum(failures)::int AS failures FROM ${S}.transitions
       GROUP BY 1, 2 HAVING sum(n) <> 0 OR sum(failures) <> 0 ORDER BY from_tool COLLATE "C", to_tool COLLATE "C"`,
    ),
    sessions: await cluster.sql(
      `SELECT session_id, records, bytes, calls, failures, first_time, last_time, tools, last_start, last_seq, last_tool, transitions_exact
       FROM ${S}.sessions ORDER BY session_id COLLATE "C"`,
    ),
  };
}

/** The rollups as they are, then as `rebuildAggregates()` recomputes them from the records. */
async function beforeAndAfterRebuild(s: PostgresStorage, schema: string): Promise<[unknown, unknown]> {
  const kept = await rollups(schema);
  await s.rebuildAggregates();
  return [kept, await rollups(schema)];
}

/**
 * Whether an open connection has made the staging path's temporary table (it goes with its
 * connection): the fast-path tests run before any test that takes the staging path.
 */
async function stagingUsed(): Promise<boolean> {
  const rows = await cluster.sql<{ n: string }>(`SELECT count(*) AS n FROM pg_class WHERE relname = 'perftrack_staging'`);
  return Number(rows[0]!.n) > 0;
}

function bySession(records: readonly ToolExecutionMetrics[]): Map<string, ToolExecutionMetrics[]> {
  const out = new Map<string, ToolExecutionMetrics[]>();
  for (const r of records) out.set(r.sessionId, [...(out.get(r.sessionId) ?? []), r]);
  return out;
}

describe('the fast path of an append', () => {
  test("durations' histogram buckets are the server's (near a bucket edge the server is asked)", async () => {
    const random = seeded(5);
    const durations = [0, 0.0005, 0.001, 0.0010001, 1, 1000, 1e12, 1e300, Math.exp(7 / 64) / 1000, Math.exp(300 / 64) / 1000];
    for (let i = 0; i < 3000; i++) durations.push(random() * 10 ** (random() * 8 - 3));
    const server = (await cluster.sql<{ bucket: number }>(BUCKETS_SQL.replace('$1::float8[]', `'{${durations.join(',')}}'::float8[]`))).map(
      (r) => r.bucket,
    );
    const here = durations.map(bucketOf);
    expect(here.map((b, i) => b ?? server[i])).toEqual(server);
    expect(here.filter((b) => b === undefined).length).toBeLessThan(5);
  });

  test('batches stored whole: rollups from the batches equal the rollups recomputed from the records; no staging table', async () => {
    const schema = cluster.schema();
    const s = adapter(schema, { partitionInterval: 'day' });
    const records = exactRecords(3000, 1);
    const sessions = bySession(records);
    // several sessions per call (one transaction), and single-session batches
    await s.appendSessions(new Map([...sessions].map(([id, rs]) => [id, rs.slice(0, 200)])));
    for (const [id, rs] of sessions) for (let i = 200; i < rs.length; i += 77) await s.appendMetrics(id, rs.slice(i, i + 77));
    expect(await stagingUsed()).toBe(false);
    expect(await s.query.countRecords()).toBe(3000);
    const [kept, rebuilt] = await beforeAndAfterRebuild(s, schema);
    expect(kept).toEqual(rebuilt);
  });

  test('a batch that lands before the end of its session takes its steps back out; counts stay exact', async () => {
    const schema = cluster.schema();
    const s = adapter(schema);
    const records = exactRecords(600, 2, 2);
    const [[idA, a], [idB, b]] = [...bySession(records)] as [string, ToolExecutionMetrics[]][];
    await s.appendMetrics(idA, a.slice(100));
    await s.appendMetrics(idA, a.slice(0, 100)); // before the stored end
    await s.appendMetrics(idB, b);
    expect(await stagingUsed()).toBe(false);
    const kept = (await rollups(schema)) as { sessions: { session_id: string; transitions_exact: boolean }[] };
    expect(kept.sessions.map((x) => [x.session_id, x.transitions_exact])).toEqual([
      [idA, false],
      [idB, true],
    ]);
    // steps of the exact session only are counted: what a rebuild counts for B alone
    const [, rebuiltAll] = await beforeAndAfterRebuild(s, schema);
    const { transitions: _t, sessions: keptSessions, ...keptRest } = kept as Record<string, unknown>;
    const { transitions: _r, sessions: rebuiltSessions, ...rebuiltRest } = rebuiltAll as Record<string, unknown>;
    expect(keptRest).toEqual(rebuiltRest);
    const figures = (rows: unknown) =>
      (rows as Record<string, unknown>[]).map(({ last_start: _s, last_seq: _q, last_tool: _l, transitions_exact: _e, ...x }) => x);
    expect(figures(keptSessions)).toEqual(figures(rebuiltSessions));
  });
});

describe('the fallback when part of a batch is stored already', () => {
  test('a batch retried after a commit whose acknowledgement was lost: rows stored once, rollups counted once', async () => {
    const schema = cluster.schema();
    const s = adapter(schema, { partitionInterval: 'day' });
    // the first write pass commits, then its acknowledgement is lost (the connection drops before the reply)
    let lose = 1;
    const appendSessions = s.appendSessions.bind(s);
    s.appendSessions = async (groups) => {
      const outcome = await appendSessions(groups);
      if (lose-- > 0) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      return outcome;
    };
    const storage = new PerformanceStorage({ adapter: s, batchSize: 400, flushIntervalMs: 5, onWarning: () => {}, onError: () => {} });
    const records = exactRecords(2000, 3);
    for (const r of records) storage.onMetric(r);
    // the failed pass stays queued and is retried after the writer's retry delay
    for (let i = 0; i < 100 && storage.stats().written < 2000; i++) {
      await storage.flush().catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await stagingUsed()).toBe(true); // the retry was refused by the unique key and took the staging path
    await storage.shutdown();
    expect(lose).toBeLessThan(0); // the loss happened, and the writer retried
    expect(storage.stats()).toMatchObject({ written: 2000, queued: 0, lost: 0, dropped: 0 });
    const rows = await cluster.sql<{ n: string; d: string }>(
      `SELECT count(*) AS n, count(DISTINCT (session_id, id)) AS d FROM "${schema}".records`,
    );
    expect(rows[0]).toEqual({ n: '2000', d: '2000' });
    const [kept, rebuilt] = await beforeAndAfterRebuild(s, schema);
    expect(kept).toEqual(rebuilt);
  });

  test('a batch partly stored (and one repeating a record within itself): the rest is inserted, each counted once', async () => {
    const schema = cluster.schema();
    const s = adapter(schema);
    const records = exactRecords(900, 4, 3);
    const sessions = [...bySession(records)];
    for (const [id, rs] of sessions)
      await s.appendMetrics(
        id,
        rs.filter((_, i) => i % 3 === 0),
      );
    for (const [id, rs] of sessions) await s.appendMetrics(id, rs); // two thirds new, one third stored
    const [id0, rs0] = sessions[0]!;
    await s.appendMetrics(id0, [rs0[0]!, rs0[0]!]); // stored already, and twice in the batch
    expect(await s.query.countRecords()).toBe(900);
    expect(await stagingUsed()).toBe(true);
    const [kept, rebuilt] = await beforeAndAfterRebuild(s, schema);
    // batches within their sessions' stored span make those sessions' steps come from the records: compare all but steps
    const strip = (x: unknown) => {
      const { transitions: _t, sessions, ...rest } = x as { transitions: unknown; sessions: Record<string, unknown>[] };
      return { ...rest, sessions: sessions.map(({ last_start: _s, last_seq: _q, last_tool: _l, transitions_exact: _e, ...f }) => f) };
    };
    expect(strip(kept)).toEqual(strip(rebuilt));
  });
});
